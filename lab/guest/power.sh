#!/bin/sh
# acpid action for the power button (PWRF): wait the guest's delay, then power off at once. The guest agent's
# guest-shutdown calls it with the delay as its argument.
d=${1:-$(cat /etc/lab-delay 2>/dev/null || echo 0)}
echo "LAB-GUEST-ACPI-POWER delay=$d uptime=$(cut -d' ' -f1 /proc/uptime)" > /dev/console
sleep "$d"
echo "LAB-GUEST-POWEROFF uptime=$(cut -d' ' -f1 /proc/uptime)" > /dev/console
sync
echo 1 > /proc/sys/kernel/sysrq
echo o > /proc/sysrq-trigger
