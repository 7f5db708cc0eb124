#!/usr/bin/env bash
# The scale lab: N simulated hypervisor hosts, each a real OpenSSH sshd on 127.0.0.1 (own host key and port, one
# shared client key) whose sessions find lab/sim/virsh first on PATH, with M stateful simulated guests per host.
# For scale and benchmarks only: the real-libvirt lab (lab/lab.sh) stays the proof of behaviour.
set -euo pipefail

usage() {
  cat <<'EOF'
usage: lab/sim/sim.sh sim-up    [--hosts N] [--guests M] [--delays 1,2,x] [--uris URI,URI] [--base-port P] [--dir D]
       lab/sim/sim.sh sim-reset [--dir D] [--delays ...]   every guest running again, sleepers and event streams ended
       lab/sim/sim.sh sim-down  [--dir D]                  stop every sshd of the fleet
--delays: shutdown delays in seconds, cycled over each host's guests; x = the guest ignores ACPI shutdown.
Writes D/inventory.yml (virtfleet), D/inventory.ini (Ansible), D/known_hosts, D/client_key, D/hosts.txt.
EOF
}

CMD=${1:-}
[ $# -gt 0 ] && shift
HOSTS=10 GUESTS=10 DELAYS=1,2,3 URIS=qemu:///system BASE_PORT=24000 DIR=${VIRTFLEET_SIM_DIR:-$PWD/.lab-sim}
while [ $# -gt 0 ]; do
  case $1 in
    --hosts) HOSTS=$2; shift 2 ;;
    --guests) GUESTS=$2; shift 2 ;;
    --delays) DELAYS=$2; shift 2 ;;
    --uris) URIS=$2; shift 2 ;;
    --base-port) BASE_PORT=$2; shift 2 ;;
    --dir) DIR=$2; shift 2 ;;
    -h | --help) usage; exit 0 ;;
    *) echo "sim: unknown option $1" >&2; usage >&2; exit 64 ;;
  esac
done
for v in HOSTS GUESTS BASE_PORT; do
  [[ ${!v} =~ ^[0-9]+$ ]] || { echo "sim: --${v,,} must be a number" >&2; exit 64; }
done
SIM_SRC=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
DIR=$(mkdir -p "$DIR" && cd "$DIR" && pwd)
IFS=, read -r -a DELAY_LIST <<<"$DELAYS"
IFS=, read -r -a URI_LIST <<<"$URIS"

uuid_of() { printf '%08x-%04x-4000-8000-%012x' "$1" "$2" "$3"; }

# state of host $1 (index): every guest running, persistent, no managed save
write_guests() {
  local i=$1 hd=$DIR/hosts/h$1 u j d ign
  for u in "${!URI_LIST[@]}"; do
    rm -rf "$hd/u$u"
    mkdir -p "$hd/u$u/g"
    for ((j = 1; j <= GUESTS; j++)); do
      d=${DELAY_LIST[$(((j - 1) % ${#DELAY_LIST[@]}))]} ign=0
      if [ "$d" = x ]; then d=0 ign=1; fi
      # name state reason persistent managed autostart id delay ignore agent token
      echo "h$i-u$u-g$j running booted 1 0 0 $j $d $ign 1 -" >"$hd/u$u/g/$(uuid_of "$i" "$u" "$j")"
    done
    echo $((GUESTS + 1)) >"$hd/u$u/nextid"
    : >"$hd/u$u/events.log"
  done
}

# end the sleepers and event streams the simulator recorded (by pid, each one its own)
end_recorded() {
  local f pid
  for f in "$DIR"/hosts/h*/u*/s.* "$DIR"/hosts/h*/u*/event.*.pid; do
    [ -e "$f" ] || continue
    pid=$(cat "$f" 2>/dev/null || true)
    rm -f "$f"
    # only a process of this fleet (its command line names the fleet dir): a recycled pid is left alone
    [[ $pid =~ ^[0-9]+$ ]] && grep -qF "$DIR" "/proc/$pid/cmdline" 2>/dev/null && kill "$pid" 2>/dev/null || true
  done
}

sim_up() {
  command -v /usr/sbin/sshd >/dev/null || { echo "sim: needs openssh-server" >&2; exit 1; }
  mkdir -p /run/sshd && chmod 755 /run/sshd
  [ -e "$DIR/client_key" ] || ssh-keygen -q -t ed25519 -N '' -f "$DIR/client_key" -C vf-sim-client
  cp "$DIR/client_key.pub" "$DIR/authorized_keys"
  mkdir -p "$DIR/bin"
  ln -sf "$SIM_SRC/virsh" "$DIR/bin/virsh"
  local i port hd
  : >"$DIR/known_hosts.tmp"
  : >"$DIR/hosts.txt.tmp"
  for ((i = 1; i <= HOSTS; i++)); do
    port=$((BASE_PORT + i - 1)) hd=$DIR/hosts/h$i
    mkdir -p "$hd/virtfleet"
    [ -e "$hd/ssh_host_ed25519_key" ] || ssh-keygen -q -t ed25519 -N '' -f "$hd/ssh_host_ed25519_key" -C "h$i"
    : >"$hd/uris"
    for u in "${!URI_LIST[@]}"; do echo "u$u ${URI_LIST[$u]}" >>"$hd/uris"; done
    write_guests "$i"
    cat >"$hd/sshd_config" <<EOF
# sshd of simulated host h$i (scale lab)
ListenAddress 127.0.0.1:$port
HostKey $hd/ssh_host_ed25519_key
PidFile $hd/sshd.pid
AuthorizedKeysFile $DIR/authorized_keys
PermitRootLogin prohibit-password
PasswordAuthentication no
KbdInteractiveAuthentication no
UsePAM no
StrictModes no
UseDNS no
PrintMotd no
LogLevel ERROR
MaxSessions 100
MaxStartups 200
Subsystem sftp internal-sftp
# SHLVL=1: bash then does not read ~/.bashrc for an ssh command (a slow rc file must not be what is measured)
SetEnv PATH=$DIR/bin:/usr/sbin:/usr/bin:/sbin:/bin VSIM_HOST=$hd SHLVL=1
EOF
    if ! { [ -s "$hd/sshd.pid" ] && kill -0 "$(cat "$hd/sshd.pid")" 2>/dev/null; }; then
      /usr/sbin/sshd -f "$hd/sshd_config" -E "$hd/sshd.log" </dev/null || { echo "sim: sshd of h$i failed (port $port busy? $hd/sshd.log)" >&2; exit 1; }
    fi
    printf '[127.0.0.1]:%s %s\n' "$port" "$(cut -d' ' -f1,2 "$hd/ssh_host_ed25519_key.pub")" >>"$DIR/known_hosts.tmp"
    echo "h$i $port" >>"$DIR/hosts.txt.tmp"
  done
  mv "$DIR/known_hosts.tmp" "$DIR/known_hosts"
  mv "$DIR/hosts.txt.tmp" "$DIR/hosts.txt"
  cut -d' ' -f2 "$DIR/hosts.txt" >"$DIR/ports.txt"
  printf 'GUESTS=%q DELAYS=%q URIS=%q\n' "$GUESTS" "$DELAYS" "$URIS" >"$DIR/sim.conf"
  write_inventories
  for ((i = 1; i <= HOSTS; i++)); do
    port=$((BASE_PORT + i - 1))
    for _ in $(seq 1 50); do
      (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null && break
      sleep 0.1
    done
  done
  echo "sim: $HOSTS hosts x $GUESTS guests on 127.0.0.1:$BASE_PORT-$((BASE_PORT + HOSTS - 1)); inventory $DIR/inventory.yml, $DIR/inventory.ini"
}

write_inventories() {
  local i port uris_yaml
  uris_yaml=$(printf '%s, ' "${URI_LIST[@]}")
  {
    echo "# scale lab: $HOSTS simulated hosts (lab/sim/sim.sh)"
    echo "virtfleet: 1"
    echo "vars:"
    echo "  address: 127.0.0.1"
    echo "  user: root"
    echo "  identity_file: $DIR/client_key"
    echo "  uris: [${uris_yaml%, }]"
    echo "  ansible_ssh_common_args: \"-o UserKnownHostsFile=$DIR/known_hosts -o StrictHostKeyChecking=yes\""
    echo "hosts:"
    for ((i = 1; i <= HOSTS; i++)); do
      port=$((BASE_PORT + i - 1))
      echo "  h$i: { port: $port, state_dir: $DIR/hosts/h$i/virtfleet }"
    done
  } >"$DIR/inventory.yml"
  {
    echo "[hypervisors]"
    for ((i = 1; i <= HOSTS; i++)); do
      echo "h$i ansible_port=$((BASE_PORT + i - 1)) state_dir=$DIR/hosts/h$i/virtfleet"
    done
    echo
    echo "[hypervisors:vars]"
    echo "ansible_host=127.0.0.1"
    echo "ansible_user=root"
    echo "ansible_ssh_private_key_file=$DIR/client_key"
    echo "ansible_ssh_common_args='-o UserKnownHostsFile=$DIR/known_hosts -o StrictHostKeyChecking=yes'"
    echo "ansible_python_interpreter=/usr/bin/python3"
  } >"$DIR/inventory.ini"
}

sim_reset() {
  end_recorded
  local i n
  n=$(wc -l <"$DIR/hosts.txt")
  # shellcheck source=/dev/null
  . "$DIR/sim.conf"
  IFS=, read -r -a DELAY_LIST <<<"$DELAYS"
  IFS=, read -r -a URI_LIST <<<"$URIS"
  for ((i = 1; i <= n; i++)); do
    write_guests "$i"
    rm -rf "$DIR/hosts/h$i/virtfleet"
    mkdir -p "$DIR/hosts/h$i/virtfleet"
  done
}

sim_down() {
  end_recorded
  local f
  for f in "$DIR"/hosts/h*/sshd.pid; do
    [ -s "$f" ] || continue
    kill "$(cat "$f")" 2>/dev/null || true
    rm -f "$f"
  done
  echo "sim: fleet in $DIR is down"
}

case $CMD in
  sim-up | up) sim_up ;;
  sim-reset | reset) sim_reset ;;
  sim-down | down) sim_down ;;
  -h | --help | help | '') usage ;;
  *) echo "sim: unknown command $CMD" >&2; usage >&2; exit 64 ;;
esac
