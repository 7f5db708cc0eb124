// Host-level facts the rolling steps read over SSH: the kernel boot id (a reboot happened), active guests' memory
// (`virsh domstats --balloon`) and free disk where managed-save images go. Argv arrays, quoted in the transport.

import type { HostSession } from '../ssh/transport.js'
import { virsh } from './virsh.js'

/** Changes on every boot: how Ansible's reboot module (and we) know the host really rebooted. */
export const BOOT_ID_ARGV: readonly string[] = ['cat', '/proc/sys/kernel/random/boot_id']

/** Free space (df -Pk) where libvirt writes managed-save images, or its parent when that folder does not exist yet. */
export const SAVE_DIR_DF_SCRIPT = 'd=/var/lib/libvirt/qemu/save; [ -d "$d" ] || d=/var/lib/libvirt; df -Pk "$d" | tail -1'

export async function readBootId(session: HostSession): Promise<{ ok: boolean; bootId: string }> {
  const res = await session.exec(BOOT_ID_ARGV)
  return { ok: res.code === 0, bootId: res.stdout.trim() }
}

/** KiB available in the managed-save folder's file system. */
export async function saveDirFreeKiB(session: HostSession): Promise<number> {
  const df = await session.exec(['sh', '-c', SAVE_DIR_DF_SCRIPT])
  const avail = Number(df.stdout.trim().split(/\s+/)[3])
  if (!Number.isFinite(avail)) throw new Error(`cannot read free disk space: ${df.stderr.trim() || df.stdout.trim()}`)
  return avail
}

/** Sum of active guests' current memory (balloon) from one `virsh domstats` per URI. */
export async function guestMemoryKiB(session: HostSession, uris: readonly string[]): Promise<number> {
  let total = 0
  for (const uri of uris) {
    const res = await session.exec(virsh(uri, 'domstats', '--list-active', '--balloon'))
    if (res.code !== 0) throw new Error(`virsh domstats failed: ${res.stderr.trim()}`)
    total += parseBalloonTotal(res.stdout)
  }
  return total
}

export function parseBalloonTotal(stdout: string): number {
  let total = 0
  for (const m of stdout.matchAll(/^\s*balloon\.current=(\d+)\s*$/gm)) total += Number(m[1])
  return total
}
