#!/bin/sh
# A minimal QEMU guest agent for lab guests (busybox sh): answers guest-sync, guest-sync-delimited, guest-ping,
# guest-info and guest-shutdown on the virtio-serial port org.qemu.guest_agent.0, one JSON request per line.
# Usage: agent.sh START_DELAY SHUTDOWN_DELAY. It starts START_DELAY seconds late on purpose (readiness tests) and
# prints LAB-AGENT-READY on the console once it listens (its port open). Not a real agent: requests are matched as
# text by the shell itself, not parsed.
start=$1
delay=$2
[ "$delay" = x ] && delay=0   # a guest that ignores ACPI still obeys its agent
sleep "$start"
dev=
i=0
while [ $i -lt 100 ] && [ -z "$dev" ]; do
  for d in /dev/vport*p*; do [ -c "$d" ] && dev=$d; done
  [ -n "$dev" ] || sleep 0.1
  i=$((i + 1))
done
if [ -z "$dev" ]; then
  echo "LAB-AGENT-NODEV" > /dev/console
  exit 1
fi
first=1
while :; do
  # The port reads EOF while no host side is connected: reopen and wait.
  exec 3<> "$dev"
  if [ "$first" = 1 ]; then   # it listens now
    read -r up _ < /proc/uptime
    echo "LAB-AGENT-READY uptime=$up" > /dev/console
    first=0
  fi
  while IFS= read -r line <&3; do
    # Matched by the shell itself: a fork per request (sed) costs tens of ms under TCG, which a real agent does not.
    case "$line" in
      *'"guest-sync-delimited"'*) cmd=guest-sync-delimited ;;
      *'"guest-sync"'*) cmd=guest-sync ;;
      *'"guest-ping"'*) cmd=guest-ping ;;
      *'"guest-info"'*) cmd=guest-info ;;
      *'"guest-shutdown"'*) cmd=guest-shutdown ;;
      *'"execute"'*) cmd=$(printf '%s' "$line" | sed -n 's/.*"execute" *: *"\([a-z-]*\)".*/\1/p') ;;
      *) cmd= ;;
    esac
    case "$cmd" in
      guest-sync | guest-sync-delimited)
        rest=${line#*'"id"'}
        rest=${rest#*:}
        while [ "${rest# }" != "$rest" ]; do rest=${rest# }; done
        id=${rest%%[!0-9-]*}
        [ "$cmd" = guest-sync-delimited ] && printf '\377' >&3
        printf '{"return": %s}\n' "${id:-0}" >&3
        ;;
      guest-ping) printf '{"return": {}}\n' >&3 ;;
      guest-info)
        printf '{"return": {"version": "lab-1", "supported_commands": [' >&3
        printf '{"enabled": true, "name": "guest-sync", "success-response": true}, ' >&3
        printf '{"enabled": true, "name": "guest-sync-delimited", "success-response": true}, ' >&3
        printf '{"enabled": true, "name": "guest-ping", "success-response": true}, ' >&3
        printf '{"enabled": true, "name": "guest-info", "success-response": true}, ' >&3
        printf '{"enabled": true, "name": "guest-shutdown", "success-response": false}]}}\n' >&3
        ;;
      guest-shutdown)
        # No reply on success (as qemu-ga): power off after the guest's delay, as the ACPI button does.
        echo "LAB-AGENT-SHUTDOWN" > /dev/console
        /bin/sh /etc/acpi/power.sh "$delay" &
        ;;
      '') ;;
      *) printf '{"error": {"class": "CommandNotFound", "desc": "The command %s has not been found"}}\n' "$cmd" >&3 ;;
    esac
  done
  exec 3<&-
  sleep 0.2
done
