#!/usr/bin/env bash
# The virtfleet lab: N fake "hypervisor hosts" on this machine, each a private mount namespace with its own
# libvirtd + virtlogd + sshd (127.0.0.1:PORT), running real QEMU/TCG guests (busybox initramfs, ACPI-aware).
# Limits: hosts share the kernel, network, pid space and CPU; a "reboot" kills the host's processes and
# restarts its daemons (no firmware, no kernel). See docs/lab.md.
set -euo pipefail

LAB_SCRIPT=$(readlink -f "${BASH_SOURCE[0]}")
LAB_SRC=$(dirname "$LAB_SCRIPT")
REPO=$(dirname "$LAB_SRC")
DIR=${VIRTFLEET_LAB_DIR:-$REPO/.lab}
PACKAGES=(openssh-server libvirt-daemon libvirt-clients libvirt-daemon-driver-qemu qemu-system-x86 cpio xz-utils)
# Real directories each host gets a private copy of (bind mounts inside its mount namespace).
MOUNTS=(run:/run/libvirt lib:/var/lib/libvirt etc:/etc/libvirt log:/var/log/libvirt cache:/var/cache/libvirt
  virtfleet:/var/lib/virtfleet)

log() { printf 'lab: %s\n' "$*" >&2; }
die() { printf 'lab: error: %s\n' "$*" >&2; exit 1; }

usage() {
  cat <<'EOF'
usage: lab <command> [options]           (npm run lab -- <command> ...)
  up      [--hosts N] [--guests M] [--delays 0,3,x] [--agents 0,3,x] [--base-port P] [--transient 0|1] [--extras]
          [--golden 0|1] [--host-memory h3=512,...] [--local-disk h1-g2,...] [--no-wait] [--fresh] [--dir DIR]
                         start (or reconcile) the lab; idempotent. --golden 1: a guest booted once is saved
                         after it is ready, and later reconciles restore that image instead of booting again.
                         --host-memory: that host's libvirtd sees only that many MiB (its /proc/meminfo and
                         NUMA meminfo are bind-mounted in its namespace, as LXCFS does), so placement must refuse
                         it. --local-disk: those guests get a disk on the host's own storage (cannot migrate
                         without --copy-storage). Both are kept until the next up that gives them ("" clears).
  down    [--purge] [--dir DIR]        stop every process of the lab; --purge also deletes host state
  reboot  HOST [--down-seconds S]      power-cycle one host (guests off, definitions kept)
  reboot-self HOST                     (run on the host over ssh) schedule `reboot HOST` from outside, return
  status  [--dir DIR]                  ports, daemons, `virsh list --all` of every host
  ssh     HOST [command...]            ssh into a host with the lab's key and known_hosts
  console HOST GUEST                   print a guest's serial console log
  env                                  print the lab's paths as shell variables
Work folder: --dir, else $VIRTFLEET_LAB_DIR, else <repo>/.lab
EOF
}

# ---------------------------------------------------------------- options
CMD=${1:-}
[ $# -gt 0 ] && shift
ARGS=()
OPT_HOST_MEMORY=- OPT_LOCAL_DISK=- OPT_HOSTS= OPT_GUESTS= OPT_DELAYS= OPT_AGENTS=- OPT_BASE_PORT= OPT_TRANSIENT= OPT_SAVED= OPT_GOLDEN= NO_WAIT=0 FRESH=0 PURGE=0
DOWN_SECONDS=2 AFTER=0
while [ $# -gt 0 ]; do
  case "$1" in
    --hosts) OPT_HOSTS=$2; shift 2 ;;
    --guests) OPT_GUESTS=$2; shift 2 ;;
    --delays) OPT_DELAYS=$2; shift 2 ;;
    --agents) OPT_AGENTS=$2; shift 2 ;;
    --host-memory) OPT_HOST_MEMORY=$2; shift 2 ;;
    --local-disk) OPT_LOCAL_DISK=$2; shift 2 ;;
    --base-port) OPT_BASE_PORT=$2; shift 2 ;;
    --transient) OPT_TRANSIENT=$2; shift 2 ;;
    --extras) OPT_SAVED=1; shift ;;
    --saved) OPT_SAVED=$2; shift 2 ;;
    --golden) OPT_GOLDEN=$2; shift 2 ;;
    --no-wait) NO_WAIT=1; shift ;;
    --fresh) FRESH=1; shift ;;
    --purge) PURGE=1; shift ;;
    --dir) DIR=$2; shift 2 ;;
    --down-seconds) DOWN_SECONDS=$2; shift 2 ;;
    --after) AFTER=$2; shift 2 ;;
    -h|--help) usage; exit 0 ;;
    --) shift; ARGS+=("$@"); break ;;
    *) ARGS+=("$1"); shift
       if [ "$CMD" = ssh ]; then ARGS+=("$@"); break; fi ;;   # ssh HOST cmd...: the rest is the command
  esac
done
mkdir -p "$DIR"
DIR=$(readlink -f "$DIR")
CACHE=${VIRTFLEET_LAB_CACHE:-$DIR/cache}

# Settings of the last `up`, reused by every other command.
# AGENTS: empty = guests have no agent channel; else per guest (like DELAYS) the agent's start delay, or x = never.
HOSTS=2 GUESTS=3 DELAYS=0 AGENTS= BASE_PORT=2201 TRANSIENT=1 SAVED=0 GOLDEN=0 HOST_MEMORY= LOCAL_DISK=
[ -f "$DIR/lab.env" ] && . "$DIR/lab.env"

hd_of() { echo "$DIR/hosts/$1"; }
host_index() { [[ $1 =~ ^h([0-9]+)$ ]] || die "not a lab host name: $1"; echo "${BASH_REMATCH[1]}"; }
port_of() { echo $((BASE_PORT + $(host_index "$1") - 1)); }
pid_alive() { [ -n "${1:-}" ] && [ -d "/proc/$1" ] && ! grep -q '^State:.*Z' "/proc/$1/status" 2>/dev/null; }
read_pid() { cat "$1" 2>/dev/null || true; }
mntns_of() { readlink "/proc/$1/ns/mnt" 2>/dev/null || true; }

# ---------------------------------------------------------------- machine setup
ensure_packages() {
  local missing=() p installed
  installed=$(dpkg-query -W -f='${Package} ${Status}\n' "${PACKAGES[@]}" 2>/dev/null || true)   # one process
  for p in "${PACKAGES[@]}"; do
    [[ $'\n'$installed$'\n' == *$'\n'"$p install ok installed"$'\n'* ]] || missing+=("$p")
  done
  if [ ${#missing[@]} -gt 0 ]; then
    log "installing ${missing[*]}"
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >&2
  fi
}

ensure_system() {
  # libvirtd looks these up even though qemu.conf runs qemu as root.
  getent group kvm >/dev/null || groupadd -r kvm
  getent group libvirt-qemu >/dev/null || groupadd -r libvirt-qemu
  getent passwd libvirt-qemu >/dev/null || useradd -r -g libvirt-qemu -d /var/lib/libvirt -s /usr/sbin/nologin libvirt-qemu
  local m
  for m in "${MOUNTS[@]}"; do mkdir -p "${m#*:}"; done
  mkdir -p /run/sshd && chmod 755 /run/sshd
}

# Guest kernel + busybox initramfs from Debian packages, built once into the cache.
IMAGE_FORMAT=pvh-elf-2   # part of the cache stamp: a change here rebuilds every cached image

# The kernel the guests boot: Debian's bzImage holds an xz-compressed ELF kernel with a PVH entry point
# (CONFIG_PVH), which QEMU boots directly from `-kernel`. Under TCG, SeaBIOS plus decompressing the bzImage took
# about 4.5 s of a 7-9 s boot; the ELF boots in 3.3-3.7 s (measured: docs/lab.md). Falls back to the bzImage when
# no ELF comes out of it.
uncompressed_kernel() {  # bzImage out
  local bz=$1 out=$2 off
  off=$(LC_ALL=C grep -abo $'\xfd7zXZ' "$bz" | head -1 | cut -d: -f1) || true
  # (xz reads only up to the stream's end: fed by a pipe, `tail` would die of SIGPIPE and fail under pipefail)
  if [ -n "$off" ] && xz -dc --single-stream < <(tail -c +$((off + 1)) "$bz") > "$out" 2>/dev/null \
    && [ "$(head -c 4 "$out" | od -An -c | tr -d ' ')" = '177ELF' ]; then
    return 0
  fi
  log "guest kernel: no ELF inside $(basename "$bz"); booting the compressed kernel"
  cp "$bz" "$out"
}

build_guest_image() {
  local stamp="$CACHE/image.stamp" want
  want=$({ echo "$IMAGE_FORMAT"; cat "$LAB_SRC/guest/init" "$LAB_SRC/guest/power.sh" "$LAB_SRC/guest/agent.sh"; } | md5sum | cut -d' ' -f1)
  if [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$want" ] && [ -s "$CACHE/kernel" ] && [ -s "$CACHE/initrd.img" ]; then
    return
  fi
  log "building guest kernel + initramfs in $CACHE"
  mkdir -p "$CACHE/debs"
  local kpkg
  kpkg=$(apt-cache depends linux-image-amd64 2>/dev/null | awk '/Depends: linux-image-6/ && !f {print $2; f=1}')
  if [ -z "$kpkg" ] || ! ls "$CACHE/debs/${kpkg}_"*.deb >/dev/null 2>&1 || ! ls "$CACHE/debs/busybox-static_"*.deb >/dev/null 2>&1; then
    if [ -z "$kpkg" ]; then apt-get update -qq; kpkg=$(apt-cache depends linux-image-amd64 | awk '/Depends: linux-image-6/ && !f {print $2; f=1}'); fi
    [ -n "$kpkg" ] || die "cannot resolve the kernel package behind linux-image-amd64"
    (cd "$CACHE/debs" && { apt-get download -q "$kpkg" busybox-static >&2 || { apt-get update -qq && apt-get download -q "$kpkg" busybox-static >&2; }; })
  fi
  local x="$CACHE/extract"
  rm -rf "$x" && mkdir -p "$x/k" "$x/b"
  dpkg -x "$(ls "$CACHE/debs/${kpkg}_"*.deb | head -1)" "$x/k"
  dpkg -x "$(ls "$CACHE/debs/busybox-static_"*.deb | head -1)" "$x/b"
  local root="$x/root" f
  mkdir -p "$root"/{bin,dev,etc/acpi,lib/modules,proc,sys,tmp,var/log,var/run}
  cp "$x/b/bin/busybox" "$root/bin/busybox"
  cp "$LAB_SRC/guest/init" "$root/init" && chmod 755 "$root/init"
  cp "$LAB_SRC/guest/power.sh" "$root/etc/acpi/power.sh" && chmod 755 "$root/etc/acpi/power.sh"
  cp "$LAB_SRC/guest/agent.sh" "$root/etc/agent.sh" && chmod 755 "$root/etc/agent.sh"
  echo "PWRF power.sh" > "$root/etc/acpid.conf"
  for m in evdev button virtio_ring virtio virtio_pci_legacy_dev virtio_pci_modern_dev virtio_pci virtio_console; do
    f=$(find "$x/k/lib/modules" -name "$m.ko*" | head -1)
    [ -n "$f" ] || die "module $m not found in $kpkg"
    case "$f" in
      *.xz) xz -dc "$f" > "$root/lib/modules/$m.ko" ;;
      *.zst) zstd -dcq "$f" > "$root/lib/modules/$m.ko" ;;
      *) cp "$f" "$root/lib/modules/$m.ko" ;;
    esac
  done
  mknod -m 600 "$root/dev/console" c 5 1
  mknod -m 666 "$root/dev/null" c 1 3
  (cd "$root" && find . | cpio -o -H newc --quiet | gzip -1) > "$CACHE/initrd.img.tmp"
  uncompressed_kernel "$(ls "$x/k/boot/vmlinuz-"* | head -1)" "$CACHE/kernel.tmp"
  mv "$CACHE/initrd.img.tmp" "$CACHE/initrd.img"
  mv "$CACHE/kernel.tmp" "$CACHE/kernel"
  rm -f "$CACHE/vmlinuz"   # the compressed kernel earlier versions booted
  rm -rf "$x"
  echo "$want" > "$stamp"
}

ensure_client_key() {
  [ -s "$DIR/client_key" ] || ssh-keygen -q -t ed25519 -N '' -C "virtfleet-lab-client" -f "$DIR/client_key"
  chmod 600 "$DIR/client_key"
}

# A process left in the outer mount namespace, so `reboot-self` (run inside a host) can step outside.
ensure_anchor() {
  local pid
  pid=$(read_pid "$DIR/anchor.pid")
  if pid_alive "$pid" && [ "$(mntns_of "$pid")" = "$(mntns_of $$)" ]; then return; fi
  setsid sleep infinity </dev/null >/dev/null 2>&1 &
  echo $! > "$DIR/anchor.pid"
}

# ---------------------------------------------------------------- namespaces and processes
holder_pid() {
  local h=$1 hd pid
  hd=$(hd_of "$h")
  pid=$(read_pid "$hd/holder.pid")
  if pid_alive "$pid" && [ "$(mntns_of "$pid")" = "$(cat "$hd/mntns" 2>/dev/null)" ]; then echo "$pid"; fi
}

in_ns() {
  local h=$1 pid
  shift
  pid=$(holder_pid "$h")
  [ -n "$pid" ] || die "host $h is not up"
  nsenter -t "$pid" -m -- "$@"
}

# Every pid in host $1's mount namespace (including the holder), minus this script's own ancestry.
ns_pids() {
  local ns p c self=" " q=$$ hd pids=() ours=0 holder
  hd=$(hd_of "$1")
  ns=$(cat "$hd/mntns" 2>/dev/null) || return 0
  [ -n "$ns" ] || return 0
  holder=$(read_pid "$hd/holder.pid")
  while [ -n "$q" ] && [ "$q" != 0 ]; do self+="$q "; q=$(awk '/^PPid:/ {print $2}' "/proc/$q/status" 2>/dev/null); done
  for p in /proc/[0-9]*; do
    p=${p#/proc/}
    [ "$(mntns_of "$p")" = "$ns" ] || continue
    [[ $self == *" $p "* ]] && continue
    pids+=("$p")
    c=$(tr '\0' ' ' < "/proc/$p/cmdline" 2>/dev/null) || true
    if [ "$p" = "$holder" ] || [[ $c == *"$hd/"* ]]; then ours=1; fi
  done
  # A namespace id can be reused once its namespace is gone: only trust it while it holds our holder or daemons.
  [ $ours = 1 ] && printf '%s\n' "${pids[@]}"
  return 0
}

# Kill the processes of host $1: $2 = all (down) or keep-holder (reboot). qemu first, with SIGKILL (power cut).
kill_host_procs() {
  local h=$1 mode=$2 holder p comm i killed=" "
  holder=$(read_pid "$(hd_of "$h")/holder.pid")
  for p in $(ns_pids "$h"); do
    comm=$(cat "/proc/$p/comm" 2>/dev/null || true)
    if [[ $comm == sshd ]]; then kill -KILL "$p" 2>/dev/null || true; killed+="$p "; fi
  done
  for p in $(ns_pids "$h"); do
    comm=$(cat "/proc/$p/comm" 2>/dev/null || true)
    if [[ $comm == qemu-system* ]]; then kill -KILL "$p" 2>/dev/null || true; killed+="$p "; fi
  done
  for i in $(seq 21); do
    local left=0
    for p in $(ns_pids "$h"); do
      [ "$mode" = keep-holder ] && [ "$p" = "$holder" ] && continue
      left=1; killed+="$p "
      if [ "$i" -lt 20 ]; then kill -TERM "$p" 2>/dev/null || true; else kill -KILL "$p" 2>/dev/null || true; fi
    done
    [ $left = 0 ] && break
    sleep 0.2
  done
  # Wait until the killed processes are reaped too (zombies linger until their parent or init collects them).
  for i in $(seq 50); do
    left=0
    for p in $killed; do [ -d "/proc/$p" ] && left=1 && break; done
    [ $left = 0 ] && break
    sleep 0.1
  done
}

new_boot_id() { cat /proc/sys/kernel/random/uuid > "$(hd_of "$1")/boot_id"; }  # same inode: the bind mount follows

write_host_config() {
  local h=$1 hd port
  hd=$(hd_of "$h"); port=$(port_of "$h")
  mkdir -p "$hd"/{fs/run,fs/lib,fs/etc,fs/log,fs/cache,fs/virtfleet,pids,ssh,guests,console,xml}
  [ -s "$hd/boot_id" ] || new_boot_id "$h"
  if [ ! -e "$hd/fs/etc/.lab" ]; then
    cp -a /etc/libvirt/. "$hd/fs/etc/" 2>/dev/null || true
    touch "$hd/fs/etc/.lab"
  fi
  rm -rf "$hd/fs/etc/qemu/networks/autostart"
  cat > "$hd/fs/etc/qemu.conf" <<'EOF'
# virtfleet lab host: qemu runs as root, no security driver, no cgroups (no systemd, shared machine)
user = "root"
group = "root"
security_driver = "none"
dynamic_ownership = 0
remember_owner = 0
cgroup_controllers = [ ]
namespaces = [ ]
EOF
  # Live migration between lab hosts on one machine: each host its own migration ports (the QEMUs share
  # 127.0.0.1) and its own host UUID (libvirt refuses to migrate to "the same host"). No migration_address:
  # 127.0.0.1 there stops the QEMU driver from loading; virtfleet passes --migrateuri tcp://127.0.0.1 instead.
  local i mig u
  i=$(host_index "$h"); mig=$((49152 + (i - 1) * 32))
  printf 'migration_port_min = %s\nmigration_port_max = %s\n' "$mig" "$((mig + 31))" >> "$hd/fs/etc/qemu.conf"
  u=$(printf '%s' "$DIR/$h/host-uuid" | md5sum | cut -c1-32)
  printf '# virtfleet lab host %s\nhost_uuid = "%s-%s-%s-%s-%s"\n' "$h" "${u:0:8}" "${u:8:4}" "${u:12:4}" "${u:16:4}" "${u:20:12}" \
    > "$hd/fs/etc/libvirtd.conf"
  [ -s "$hd/ssh/ssh_host_ed25519_key" ] || ssh-keygen -q -t ed25519 -N '' -C "lab-$h" -f "$hd/ssh/ssh_host_ed25519_key"
  cat > "$hd/ssh/sshd_config" <<EOF
# sshd of lab host $h (runs inside the host's mount namespace)
ListenAddress 127.0.0.1:$port
HostKey $hd/ssh/ssh_host_ed25519_key
PidFile $hd/pids/sshd.pid
AuthorizedKeysFile $DIR/client_key.pub
PermitRootLogin prohibit-password
PubkeyAuthentication yes
PasswordAuthentication no
KbdInteractiveAuthentication no
UsePAM no
StrictModes no
UseDNS no
PrintMotd no
PrintLastLog no
MaxStartups 100:30:200
MaxSessions 100
Subsystem sftp internal-sftp
EOF
  echo "$port" > "$hd/port"
}

ensure_namespace() {
  local h=$1 hd pid m i
  hd=$(hd_of "$h")
  [ -n "$(holder_pid "$h")" ] && return
  kill_host_procs "$h" all   # leftovers of a half-dead namespace
  setsid unshare -m --propagation private -- sleep infinity </dev/null >/dev/null 2>&1 &
  pid=$!
  for i in $(seq 50); do
    [ "$(mntns_of "$pid")" != "$(mntns_of $$)" ] && [ "$(cat "/proc/$pid/comm" 2>/dev/null)" = sleep ] && break
    sleep 0.05
  done
  echo "$pid" > "$hd/holder.pid"
  new_boot_id "$h"   # a new namespace is a fresh boot
  mntns_of "$pid" > "$hd/mntns"
  for m in "${MOUNTS[@]}"; do
    nsenter -t "$pid" -m -- mount --bind "$hd/fs/${m%%:*}" "${m#*:}"
  done
  nsenter -t "$pid" -m -- mount --bind "$hd/boot_id" /proc/sys/kernel/random/boot_id
  # sshd runs every command through root's bash, which reads ~/.bashrc when started by sshd: the control machine's
  # (pyenv init and the like) would cost each remote command seconds under load. A hypervisor's root has its own.
  if [ -f /root/.bashrc ]; then : > "$hd/bashrc"; nsenter -t "$pid" -m -- mount --bind "$hd/bashrc" /root/.bashrc; fi
  rm -rf "${hd:?}/fs/run/"*  # a fresh /run, as after boot
}

# --host-memory: what this host's libvirtd reads as the machine's memory (nodeinfo: NUMA node meminfo; nodememstats:
# /proc/meminfo) is a file bind-mounted in the host's namespace, as LXCFS gives containers their own. A quarter of it
# is in use. Undone (unmounted) when the option no longer names the host.
memory_of() {  # host -> MiB, empty when the host has the machine's memory
  local IFS=, e
  for e in $HOST_MEMORY; do if [ "${e%%=*}" = "$1" ]; then echo "${e#*=}"; fi; done
}
apply_host_memory() {
  local h=$1 hd pid mib kib f
  hd=$(hd_of "$h"); pid=$(holder_pid "$h")
  for f in /proc/meminfo /sys/devices/system/node/node*/meminfo; do
    while nsenter -t "$pid" -m -- umount "$f" 2>/dev/null; do :; done
  done
  mib=$(memory_of "$h")
  [ -n "$mib" ] || return 0
  kib=$((mib * 1024))
  mkdir -p "$hd/meminfo"
  awk -v t="$kib" '$1 == "MemTotal:" { $2 = t } $1 == "MemFree:" || $1 == "MemAvailable:" { $2 = int(t * 3 / 4) }
    $1 == "Buffers:" || $1 == "Cached:" { $2 = 0 } { print }' /proc/meminfo > "$hd/meminfo/meminfo"
  nsenter -t "$pid" -m -- mount --bind "$hd/meminfo/meminfo" /proc/meminfo
  for f in /sys/devices/system/node/node*/meminfo; do
    [ -f "$f" ] || continue
    # every node but node0 is empty: the host's memory sits on one node
    awk -v t="$kib" -v first="$([ "${f#/sys/devices/system/node/node0/}" = meminfo ] && echo 1 || echo 0)" '
      $3 == "MemTotal:" { $4 = first ? t : 0 } $3 == "MemFree:" { $4 = first ? int(t * 3 / 4) : 0 }
      $3 == "MemUsed:" { $4 = first ? t - int(t * 3 / 4) : 0 } { print }' "$f" > "$hd/meminfo/$(basename "$(dirname "$f")")"
    nsenter -t "$pid" -m -- mount --bind "$hd/meminfo/$(basename "$(dirname "$f")")" "$f"
  done
}

daemon_alive() {  # $1 host, $2 pidfile name
  local pid
  pid=$(read_pid "$(hd_of "$1")/pids/$2.pid")
  pid_alive "$pid" && [ "$(mntns_of "$pid")" = "$(cat "$(hd_of "$1")/mntns")" ]
}

start_daemons() {
  local h=$1 hd i
  hd=$(hd_of "$h")
  if ! daemon_alive "$h" virtlogd; then
    in_ns "$h" setsid /usr/sbin/virtlogd -d -p "$hd/pids/virtlogd.pid" </dev/null >>"$hd/daemons.log" 2>&1 9>&-
  fi
  if ! daemon_alive "$h" libvirtd; then
    in_ns "$h" setsid /usr/sbin/libvirtd -d -p "$hd/pids/libvirtd.pid" </dev/null >>"$hd/daemons.log" 2>&1 9>&-
  fi
  for i in $(seq 150); do
    in_ns "$h" virsh -q -c qemu:///system uri >/dev/null 2>&1 && return
    sleep 0.2
  done
  die "libvirtd of $h did not answer (see $hd/daemons.log)"
}

start_sshd() {
  local h=$1 hd i port
  hd=$(hd_of "$h"); port=$(port_of "$h")
  if ! daemon_alive "$h" sshd; then
    in_ns "$h" setsid /usr/sbin/sshd -f "$hd/ssh/sshd_config" -E "$hd/sshd.log" </dev/null >>"$hd/daemons.log" 2>&1 9>&- \
      || die "sshd of $h failed (port $port busy? see $hd/sshd.log)"
  fi
  for i in $(seq 50); do
    (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null && return
    sleep 0.1
  done
  die "sshd of $h does not listen on 127.0.0.1:$port"
}

virsh_h() { local h=$1; shift; in_ns "$h" virsh -q -c qemu:///system "$@"; }

# ---------------------------------------------------------------- guests
delay_for() {  # guest index (1-based) -> delay word
  local IFS=, arr
  read -r -a arr <<< "$DELAYS"
  echo "${arr[$(( ($1 - 1) % ${#arr[@]} ))]}"
}

agent_for() {  # guest name -> agent word (empty: no agent channel); the index is the name's trailing number
  [ -n "$AGENTS" ] || return 0
  local IFS=, arr n
  read -r -a arr <<< "$AGENTS"
  n=1
  [[ $1 =~ -g([0-9]+)$ ]] && n=${BASH_REMATCH[1]}
  echo "${arr[$(( (n - 1) % ${#arr[@]} ))]}"
}

guest_xml() {  # host name delay [uuid]
  local h=$1 name=$2 delay=$3 hd u agent agent_word='' channel=''
  hd=$(hd_of "$h")
  agent=$(agent_for "$name")
  if [ -n "$agent" ]; then
    agent_word=" lab.agent=$agent"
    channel="<channel type='unix'><source mode='bind'/><target type='virtio' name='org.qemu.guest_agent.0'/></channel>"
  fi
  if [[ ,$LOCAL_DISK, == *",$name,"* ]]; then   # a disk on this host's own storage (the guest never reads it)
    mkdir -p "$hd/disks"
    [ -f "$hd/disks/$name.img" ] || truncate -s 1M "$hd/disks/$name.img"
    channel+="<disk type='file' device='disk'><driver name='qemu' type='raw'/><source file='$hd/disks/$name.img'/><target dev='vda' bus='virtio'/></disk>"
  fi
  # Keep the uuid of an existing definition (else a stable one per lab dir + guest): `define` then updates it.
  u=${4:-$(printf '%s' "$DIR/$name" | md5sum | cut -c1-32)}
  u=${u//-/}
  cat <<EOF
<domain type='qemu'>
  <name>$name</name>
  <uuid>${u:0:8}-${u:8:4}-${u:12:4}-${u:16:4}-${u:20:12}</uuid>
  <memory unit='MiB'>96</memory>
  <vcpu>1</vcpu>
  <os>
    <type arch='x86_64' machine='pc'>hvm</type>
    <kernel>$hd/guests/$name/kernel</kernel>
    <initrd>$hd/guests/$name/initrd.img</initrd>
    <cmdline>console=ttyS0 quiet panic=0 lab.name=$name lab.delay=$delay$agent_word</cmdline>
  </os>
  <features><acpi/></features>
  <on_poweroff>destroy</on_poweroff>
  <on_reboot>restart</on_reboot>
  <on_crash>destroy</on_crash>
  <devices>
    <emulator>/usr/bin/qemu-system-x86_64</emulator>
    <controller type='usb' model='none'/>
    <serial type='file'><source path='$hd/console/$name.log' append='off'/><target port='0'/></serial>
    $channel
    <memballoon model='none'/>
  </devices>
</domain>
EOF
}

prepare_guest_files() {  # private kernel/initrd per guest, so a test can break one guest's start
  local hd name=$2 f
  hd=$(hd_of "$1")
  mkdir -p "$hd/guests/$name"
  for f in kernel initrd.img; do
    ln -f "$CACHE/$f" "$hd/guests/$name/$f" 2>/dev/null || cp -f "$CACHE/$f" "$hd/guests/$name/$f"
  done
}

# (no `virsh | grep -q` / `| head`: under pipefail an early-closing reader turns virsh's SIGPIPE into failure)
dom_state() { local out; out=$(virsh_h "$1" domstate "$2" 2>/dev/null) || true; echo "${out%%$'\n'*}"; }
has_managed_save() { local out; out=$(virsh_h "$1" dominfo "$2" 2>/dev/null) || return 1; [[ $out =~ Managed\ save:\ *yes ]]; }

STARTED=()   # "host name" of guests that must reach READY

# name -> state of every guest of the host being reconciled, read with one `virsh list --all` (load_states).
declare -A STATE=()
declare -A LISTED=()   # host -> its `virsh list --all`, read by remove_strays and still valid (nothing removed)
load_states() {  # host [listing]: the listing given, else the one remove_strays kept, else a fresh one
  local id name state listing
  STATE=()
  if [ $# -ge 2 ]; then listing=$2
  elif [ -n "${LISTED[$1]+x}" ]; then listing=${LISTED[$1]}; unset "LISTED[$1]"
  else listing=$(virsh_h "$1" list --all); fi
  while read -r id name state; do if [ -n "$name" ]; then STATE[$name]=$state; fi; done <<< "$listing"
}

define_guest() {  # host name delay; (re)defines only when the definition would change
  local h=$1 name=$2 delay=$3 xml uuid=''
  xml="$(hd_of "$h")/xml/$name.xml"
  prepare_guest_files "$h" "$name"
  if [ -n "${STATE[$name]+x}" ]; then   # defined: keep its uuid (the one in the file we defined it from)
    uuid=$(sed -n 's:.*<uuid>\(.*\)</uuid>.*:\1:p' "$xml" 2>/dev/null || true)
    [ -n "$uuid" ] || uuid=$(virsh_h "$h" domuuid "$name" 2>/dev/null || true)
  fi
  guest_xml "$h" "$name" "$delay" "$uuid" > "$xml.new"
  if [ -n "${STATE[$name]+x}" ] && cmp -s "$xml.new" "$xml"; then rm -f "$xml.new"; return 0; fi
  mv "$xml.new" "$xml"
  virsh_h "$h" define "$xml" >/dev/null
  # a running guest keeps its old devices until it boots again: reconcile means it runs as defined now
  if [ "${STATE[$name]:-}" = running ]; then virsh_h "$h" destroy "$name" >/dev/null 2>&1 || true; STATE[$name]='shut off'; fi
}

start_guest() {
  local h=$1 name=$2
  [ "${STATE[$name]:-}" = running ] && return 0   # already up (maybe restored: no READY line to wait for)
  if has_managed_save "$h" "$name"; then   # a restore: already booted, its console log starts empty
    virsh_h "$h" start "$name" >/dev/null
    return 0
  fi
  if [ "$GOLDEN" = 1 ] && golden_fresh "$h" "$name"; then   # booted before: restore its ready image (~1 s, no boot)
    virsh_h "$h" restore "$(golden_of "$h" "$name")" >/dev/null 2>&1 && return 0
    rm -f "$(golden_of "$h" "$name")" "$(golden_of "$h" "$name").xml"   # unusable: boot, and take a new one
  fi
  rm -f "$(hd_of "$h")/console/$name.log"
  virsh_h "$h" start "$name" >/dev/null
  STARTED+=("$h $name")
}

# Golden images (--golden 1): the saved memory of a numbered guest right after its first boot was ready. A guest
# restored from it is the same booted guest (acpid listening, its uptime counting on from the save), so a test
# that stopped guests gets them back in about a second instead of a TCG boot. Valid only for the definition it
# was taken from (its XML is kept beside it); a host reboot keeps them, `down --purge` deletes them.
golden_of() { echo "$(hd_of "$1")/golden/$2.sav"; }
golden_fresh() { local f; f=$(golden_of "$1" "$2"); [ -f "$f" ] && cmp -s "$f.xml" "$(hd_of "$1")/xml/$2.xml"; }

take_goldens() {
  [ "$GOLDEN" = 1 ] || return 0
  local entry h name f
  for entry in "${STARTED[@]}"; do
    h=${entry% *}; name=${entry#* }
    [[ $name =~ ^$h-g[0-9]+$ ]] || continue   # numbered persistent guests only
    golden_fresh "$h" "$name" && continue
    f=$(golden_of "$h" "$name")
    mkdir -p "$(dirname "$f")"
    rm -f "$f" "$f.xml"
    virsh_h "$h" save "$name" "$f.tmp" >/dev/null
    mv "$f.tmp" "$f"
    cp "$(hd_of "$h")/xml/$name.xml" "$f.xml"
    virsh_h "$h" restore "$f" >/dev/null
  done
}

remove_guest() {
  local h=$1 name=$2
  virsh_h "$h" destroy "$name" >/dev/null 2>&1 || true
  virsh_h "$h" undefine --managed-save "$name" >/dev/null 2>&1 || true
}

# A lab guest on a host not its own (a migration a failed test left behind): removed there before any host
# starts its own guests, so that up always means every guest at home and no disk open twice.
remove_strays() {
  local h=$1 name listing removed=0
  listing=$(virsh_h "$h" list --all)
  load_states "$h" "$listing"
  for name in "${!STATE[@]}"; do
    if [[ $name =~ ^(h[0-9]+)- ]] && [ "${BASH_REMATCH[1]}" != "$h" ]; then
      log "up: $name found on $h: removed there (it belongs on ${BASH_REMATCH[1]})"
      remove_guest "$h" "$name"
      removed=1
    fi
  done
  [ "$removed" = 0 ] && LISTED[$h]=$listing   # ensure_guests starts from this listing
  return 0
}

ensure_guests() {
  local h=$1 hd j name n
  hd=$(hd_of "$h")
  load_states "$h"
  for j in $(seq "$GUESTS"); do
    name="$h-g$j"
    define_guest "$h" "$name" "$(delay_for "$j")"
    start_guest "$h" "$name"
  done
  for name in "${!STATE[@]}"; do   # guests beyond --guests from an earlier up
    if [[ $name =~ ^$h-g([0-9]+)$ ]] && [ "${BASH_REMATCH[1]}" -gt "$GUESTS" ]; then remove_guest "$h" "$name"; fi
  done
  # defined but off
  define_guest "$h" "$h-off" 0
  [ "${STATE[$h-off]:-shut off}" = "shut off" ] || virsh_h "$h" destroy "$h-off" >/dev/null 2>&1 || true
  # transient (gone after a host reboot, re-created by up)
  if [ "$TRANSIENT" = 1 ]; then
    if [ -z "${STATE[$h-t1]:-}" ]; then
      prepare_guest_files "$h" "$h-t1"
      guest_xml "$h" "$h-t1" 0 > "$hd/xml/$h-t1.xml"
      rm -f "$hd/console/$h-t1.log"
      virsh_h "$h" create "$hd/xml/$h-t1.xml" >/dev/null
      STARTED+=("$h $h-t1")
    fi
  elif [ -n "${STATE[$h-t1]:-}" ]; then
    virsh_h "$h" destroy "$h-t1" >/dev/null 2>&1 || true
  fi
  # managed-save image (--extras)
  if [ "$SAVED" = 1 ]; then
    define_guest "$h" "$h-saved" 0
    if ! has_managed_save "$h" "$h-saved"; then start_guest "$h" "$h-saved"; fi
  elif [ -n "${STATE[$h-saved]+x}" ]; then
    remove_guest "$h" "$h-saved"
  fi
}

wait_ready() {
  local deadline=$((SECONDS + ${VIRTFLEET_LAB_BOOT_TIMEOUT:-120})) pending entry h name
  while :; do
    pending=()
    for entry in "${STARTED[@]}"; do
      h=${entry% *}; name=${entry#* }
      grep -qa LAB-GUEST-READY "$(hd_of "$h")/console/$name.log" 2>/dev/null || pending+=("$name")
    done
    [ ${#pending[@]} = 0 ] && return
    [ $SECONDS -ge $deadline ] && die "guests not ready in time: ${pending[*]}"
    sleep 0.3
  done
}

save_extras() {
  local i h
  [ "$SAVED" = 1 ] || return 0
  for i in $(seq "$HOSTS"); do
    h=h$i
    if [ "$(dom_state "$h" "$h-saved")" = running ]; then virsh_h "$h" managedsave "$h-saved" >/dev/null; fi
  done
}

# ---------------------------------------------------------------- generated files
write_client_files() {
  local i h hd kh="$DIR/known_hosts" yml="$DIR/inventory.yml" ini="$DIR/inventory.ini" reboot
  : > "$kh.tmp"
  for i in $(seq "$HOSTS"); do
    h=h$i; hd=$(hd_of "$h")
    printf '[127.0.0.1]:%s %s\n' "$(port_of "$h")" "$(cut -d' ' -f1,2 "$hd/ssh/ssh_host_ed25519_key.pub")" >> "$kh.tmp"
  done
  mv "$kh.tmp" "$kh"
  {
    echo "# virtfleet lab inventory, generated by lab/lab.sh up; do not edit (rewritten on every up)"
    echo "virtfleet: 1"
    echo "vars:"
    echo "  ansible_ssh_common_args: \"-o UserKnownHostsFile=$kh -o StrictHostKeyChecking=yes\""
    echo "  uris: [qemu:///system]"
    echo "hosts:"
    for i in $(seq "$HOSTS"); do
      h=h$i
      echo "  $h:"
      echo "    address: 127.0.0.1"
      echo "    port: $(port_of "$h")"
      echo "    user: root"
      echo "    identity_file: $DIR/client_key"
      echo "    reboot_command: \"bash $LAB_SCRIPT reboot-self $h --dir $DIR\""
      # live migration: the source's virsh reaches this host's sshd (and so its libvirtd); QEMU data over TCP
      echo "    migration_uri: \"qemu+ssh://root@127.0.0.1:$(port_of "$h")/system?keyfile=$DIR/client_key&no_verify=1\""
      echo "    migration_data_uri: tcp://127.0.0.1"
    done
    echo "groups:"
    echo "  lab:"
    echo "    hosts: [$(for i in $(seq "$HOSTS"); do printf '%sh%s' "$([ "$i" = 1 ] || echo ', ')" "$i"; done)]"
    echo "    children: []"
    echo "    vars: {}"
  } > "$yml"
  {
    echo "# virtfleet lab inventory (Ansible INI), generated by lab/lab.sh up"
    echo "[lab]"
    for i in $(seq "$HOSTS"); do
      h=h$i
      reboot="bash $LAB_SCRIPT reboot-self $h --dir $DIR"
      echo "$h ansible_host=127.0.0.1 ansible_port=$(port_of "$h") ansible_user=root ansible_ssh_private_key_file=$DIR/client_key reboot_command=\"$reboot\""
    done
    echo
    echo "[all:vars]"
    echo "ansible_ssh_common_args='-o UserKnownHostsFile=$kh -o StrictHostKeyChecking=yes'"
    echo "uris=qemu:///system"
  } > "$ini"
  {
    echo "{"
    echo "  \"dir\": \"$DIR\","
    echo "  \"labScript\": \"$LAB_SCRIPT\","
    echo "  \"inventoryYml\": \"$yml\","
    echo "  \"inventoryIni\": \"$ini\","
    echo "  \"knownHosts\": \"$kh\","
    echo "  \"clientKey\": \"$DIR/client_key\","
    echo "  \"guests\": $GUESTS, \"delays\": \"$DELAYS\", \"agents\": \"$AGENTS\", \"transient\": $TRANSIENT, \"saved\": $SAVED,"
    echo "  \"hosts\": ["
    for i in $(seq "$HOSTS"); do
      h=h$i
      printf '    {"name": "%s", "port": %s, "dir": "%s"}%s\n' "$h" "$(port_of "$h")" "$(hd_of "$h")" "$([ "$i" = "$HOSTS" ] || echo ,)"
    done
    echo "  ]"
    echo "}"
  } > "$DIR/lab.json"
}

# ---------------------------------------------------------------- commands
host_down() {
  local h=$1 hd
  hd=$(hd_of "$h")
  [ -d "$hd" ] || return 0
  kill_host_procs "$h" all
  rm -f "$hd"/pids/*.pid "$hd/holder.pid" "$hd/mntns"
  rm -rf "${hd:?}/fs/run/"*
}

cmd_down() {
  local hd h
  for hd in "$DIR"/hosts/h*; do
    [ -d "$hd" ] || continue
    h=$(basename "$hd")
    host_down "$h"
    if [ "$PURGE" = 1 ]; then rm -rf "$hd"; fi
  done
  local pid
  pid=$(read_pid "$DIR/anchor.pid")
  if pid_alive "$pid" && [ "$(cat "/proc/$pid/comm" 2>/dev/null)" = sleep ]; then kill "$pid" 2>/dev/null || true; fi
  rm -f "$DIR/anchor.pid"
  [ "$PURGE" = 1 ] && rm -f "$DIR/lab.env" "$DIR/lab.json" "$DIR/inventory.yml" "$DIR/inventory.ini" "$DIR/known_hosts"
  log "down ($DIR)"
}

cmd_up() {
  [ "$FRESH" = 1 ] && { PURGE=1 cmd_down; PURGE=0; HOSTS=2 GUESTS=3 DELAYS=0 AGENTS= BASE_PORT=2201 TRANSIENT=1 SAVED=0 GOLDEN=0 HOST_MEMORY= LOCAL_DISK=; }
  HOSTS=${OPT_HOSTS:-$HOSTS} GUESTS=${OPT_GUESTS:-$GUESTS} DELAYS=${OPT_DELAYS:-$DELAYS}
  [ "$OPT_AGENTS" = - ] || AGENTS=$OPT_AGENTS
  [ "$OPT_HOST_MEMORY" = - ] || HOST_MEMORY=$OPT_HOST_MEMORY
  [ "$OPT_LOCAL_DISK" = - ] || LOCAL_DISK=$OPT_LOCAL_DISK
  [[ $HOST_MEMORY =~ ^(h[0-9]+=[0-9]+(,h[0-9]+=[0-9]+)*)?$ ]] || die "--host-memory must be a comma list of HOST=MiB (h3=512)"
  [[ $LOCAL_DISK =~ ^([A-Za-z0-9_.-]+(,[A-Za-z0-9_.-]+)*)?$ ]] || die "--local-disk must be a comma list of guest names"
  BASE_PORT=${OPT_BASE_PORT:-${VIRTFLEET_LAB_BASE_PORT:-$BASE_PORT}} TRANSIENT=${OPT_TRANSIENT:-$TRANSIENT} SAVED=${OPT_SAVED:-$SAVED}
  GOLDEN=${OPT_GOLDEN:-$GOLDEN}
  [[ $HOSTS =~ ^[0-9]+$ && $HOSTS -ge 1 ]] || die "--hosts must be >= 1"
  [[ $GUESTS =~ ^[0-9]+$ ]] || die "--guests must be a number"
  [[ $DELAYS =~ ^([0-9]+|x)(,([0-9]+|x))*$ ]] || die "--delays must be a comma list of seconds or x"
  [[ $AGENTS =~ ^(([0-9]+|x)(,([0-9]+|x))*)?$ ]] || die "--agents must be a comma list of seconds or x"
  local t0=$SECONDS i h hd
  # Machine-wide set-up (packages, system users, the guest image in the cache), one lab at a time: the e2e suite
  # brings up several labs side by side.
  exec 8>/run/virtfleet-lab-setup.lock
  flock -w 1800 8 || die "another lab's set-up holds /run/virtfleet-lab-setup.lock"
  ensure_packages
  ensure_system
  build_guest_image
  exec 8>&-
  ensure_client_key
  printf 'HOSTS=%s\nGUESTS=%s\nDELAYS=%s\nAGENTS=%s\nBASE_PORT=%s\nTRANSIENT=%s\nSAVED=%s\nGOLDEN=%s\nHOST_MEMORY=%s\nLOCAL_DISK=%s\n' \
    "$HOSTS" "$GUESTS" "$DELAYS" "$AGENTS" "$BASE_PORT" "$TRANSIENT" "$SAVED" "$GOLDEN" "$HOST_MEMORY" "$LOCAL_DISK" > "$DIR/lab.env"
  ensure_anchor
  for hd in "$DIR"/hosts/h*; do   # hosts beyond --hosts from an earlier up
    [ -d "$hd" ] || continue
    h=$(basename "$hd")
    if [ "$(host_index "$h")" -gt "$HOSTS" ]; then host_down "$h"; rm -rf "$hd"; fi
  done
  for i in $(seq "$HOSTS"); do
    h=h$i
    write_host_config "$h"
    ensure_namespace "$h"
    apply_host_memory "$h"
    start_daemons "$h"
    start_sshd "$h"
  done
  write_client_files
  for i in $(seq "$HOSTS"); do remove_strays "h$i"; done
  for i in $(seq "$HOSTS"); do ensure_guests "h$i"; done
  if [ "$NO_WAIT" = 0 ]; then
    wait_ready
    take_goldens
    save_extras
  fi
  log "up: $HOSTS host(s) x $GUESTS guest(s) in $((SECONDS - t0)) s; inventory $DIR/inventory.yml"
}

cmd_reboot() {
  local h=${ARGS[0]:-} hd
  [ -n "$h" ] || die "usage: reboot HOST [--down-seconds S]"
  hd=$(hd_of "$h")
  [ -d "$hd" ] || die "no such lab host: $h"
  exec 9>"$hd/reboot.lock"
  flock -w 300 9 || die "another reboot of $h is still running"
  [ "$AFTER" != 0 ] && sleep "$AFTER"
  [ -n "$(holder_pid "$h")" ] || die "host $h is not up"
  log "$h: power off (sshd, guests, daemons)"
  kill_host_procs "$h" keep-holder
  rm -f "$hd"/pids/*.pid
  rm -rf "${hd:?}/fs/run/"*
  new_boot_id "$h"
  start_daemons "$h"
  sleep "$DOWN_SECONDS"
  start_sshd "$h"
  log "$h: back up (boot id $(cat "$hd/boot_id"))"
}

# Runs inside the host (over ssh): leave the host's namespace and session, then reboot it from outside.
cmd_reboot_self() {
  local h=${ARGS[0]:-} anchor hd
  [ -n "$h" ] || die "usage: reboot-self HOST"
  hd=$(hd_of "$h")
  anchor=$(read_pid "$DIR/anchor.pid")
  pid_alive "$anchor" || die "lab anchor process is gone; run lab up"
  setsid -f nsenter -t "$anchor" -m -- bash "$LAB_SCRIPT" reboot "$h" --dir "$DIR" --after 1 --down-seconds "$DOWN_SECONDS" \
    </dev/null >>"$hd/reboot.log" 2>&1
  echo "lab: $h will reboot in 1 s"
}

cmd_status() {
  local hd h st pid
  [ -d "$DIR/hosts" ] || { log "no lab in $DIR"; return 0; }
  for hd in "$DIR"/hosts/h*; do
    [ -d "$hd" ] || continue
    h=$(basename "$hd")
    st="holder=$(holder_pid "$h")"
    for d in libvirtd virtlogd sshd; do
      pid=$(read_pid "$hd/pids/$d.pid")
      if [ -n "$(holder_pid "$h")" ] && daemon_alive "$h" "$d"; then st+=" $d=$pid"; else st+=" $d=down"; fi
    done
    echo "== $h 127.0.0.1:$(cat "$hd/port" 2>/dev/null) boot_id=$(cat "$hd/boot_id" 2>/dev/null) $st"
    if [ -n "$(holder_pid "$h")" ] && daemon_alive "$h" libvirtd; then virsh_h "$h" list --all | sed 's/^/   /'; fi
  done
}

ssh_opts() {
  local h=$1
  echo "-i $DIR/client_key -o IdentitiesOnly=yes -o BatchMode=yes -o UserKnownHostsFile=$DIR/known_hosts -o GlobalKnownHostsFile=/dev/null -o StrictHostKeyChecking=yes -o LogLevel=ERROR -p $(port_of "$h")"
}

case "$CMD" in
  up) cmd_up ;;
  down) cmd_down ;;
  reboot) cmd_reboot ;;
  reboot-self) cmd_reboot_self ;;
  status) cmd_status ;;
  ssh)
    [ ${#ARGS[@]} -ge 1 ] || die "usage: ssh HOST [command...]"
    h=${ARGS[0]}
    # shellcheck disable=SC2046
    exec ssh $(ssh_opts "$h") root@127.0.0.1 "${ARGS[@]:1}" ;;
  console)
    [ ${#ARGS[@]} -ge 2 ] || die "usage: console HOST GUEST"
    cat "$(hd_of "${ARGS[0]}")/console/${ARGS[1]}.log" ;;
  env)
    echo "LAB_DIR=$DIR"; echo "LAB_INVENTORY=$DIR/inventory.yml"; echo "LAB_INVENTORY_INI=$DIR/inventory.ini"
    echo "LAB_KNOWN_HOSTS=$DIR/known_hosts"; echo "LAB_CLIENT_KEY=$DIR/client_key" ;;
  ''|-h|--help|help) usage ;;
  *) usage >&2; exit 2 ;;
esac
