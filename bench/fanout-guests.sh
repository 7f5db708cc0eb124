# libvirt-guests-style stop of one host, run by the bench's plain fan-out (xargs -P over OpenSSH): every running
# guest is asked to shut down at once (PARALLEL_SHUTDOWN), then the script waits until none runs.
set -u
for g in $(virsh list --uuid --state-running); do virsh shutdown "$g" >/dev/null & done
wait
while [ -n "$(virsh list --uuid --state-running)" ]; do sleep 0.2; done
