// Migration on the virsh side: argv, destination URIs, what blocks a guest from moving, job progress.
import { describe, expect, it } from 'vitest'
import { defaultDestinationUri, migrateArgv, parseJobInfo, parseMigrationFacts } from '../../../src/libvirt/migration.js'

const UUID = '0a1b2c3d-0000-4000-8000-000000000001'

describe('migrateArgv', () => {
  it('moves live and persistently, leaving nothing defined on the source', () => {
    expect(migrateArgv('qemu:///system', UUID, { destinationUri: 'qemu+ssh://root@hv2/system', dataUri: 'tcp://10.0.0.2' })).toEqual([
      'virsh',
      '-c',
      'qemu:///system',
      'migrate',
      '--live',
      '--persistent',
      '--undefinesource',
      UUID,
      'qemu+ssh://root@hv2/system',
      '--migrateuri',
      'tcp://10.0.0.2',
    ])
  })
  it('passes bandwidth, auto-converge, post-copy, storage copy and the suspend timeout only when asked', () => {
    const argv = migrateArgv('qemu:///system', UUID, {
      destinationUri: 'd',
      bandwidthMiBs: 100,
      autoConverge: true,
      postcopy: true,
      copyStorage: true,
      suspendAfterS: 60,
    })
    expect(argv).toEqual(
      expect.arrayContaining([
        '--copy-storage-all',
        '--auto-converge',
        '--postcopy',
        '--postcopy-after-precopy',
        '--bandwidth',
        '100',
        '--timeout',
        '60',
        '--timeout-suspend',
      ]),
    )
  })
  it('refuses a guest not addressed by UUID', () => {
    expect(() => migrateArgv('qemu:///system', '$(reboot)', { destinationUri: 'd' })).toThrow(/UUID/)
  })
})

describe('defaultDestinationUri', () => {
  it('uses the SSH address, user and a non-default port', () => {
    expect(defaultDestinationUri('hv2.example', 'root', 22)).toBe('qemu+ssh://root@hv2.example/system')
    expect(defaultDestinationUri('127.0.0.1', 'root', 2202)).toBe('qemu+ssh://root@127.0.0.1:2202/system')
    expect(defaultDestinationUri('fe80::1', 'ops', 22)).toBe('qemu+ssh://ops@[fe80::1]/system')
  })
})

describe('parseMigrationFacts', () => {
  const xml = `<domain type='kvm'>
  <devices>
    <disk type='file' device='disk'><driver name='qemu' type='qcow2'/><source file='/var/lib/libvirt/images/a.qcow2'/><target dev='vda' bus='virtio'/></disk>
    <disk type='file' device='disk'><source file='/mnt/shared/b.qcow2'/><target dev='vdb' bus='virtio'/></disk>
    <disk type='network' device='disk'><source protocol='rbd' name='pool/c'/><target dev='vdc' bus='virtio'/></disk>
    <disk type='file' device='cdrom'><target dev='sda' bus='sata'/><readonly/></disk>
    <hostdev mode='subsystem' type='pci' managed='yes'><source><address domain='0x0000' bus='0x03' slot='0x00' function='0x0'/></source></hostdev>
  </devices>
</domain>`
  it('finds local disks (not under a shared prefix, not network) and pinned host devices', () => {
    expect(parseMigrationFacts(xml, ['/mnt/shared'])).toEqual({
      localDisks: ['/var/lib/libvirt/images/a.qcow2'],
      pinnedDevices: ["hostdev pci (domain='0x0000' bus='0x03' slot='0x00' function='0x0')"],
    })
  })
  it('a diskless guest booting from a kernel (the lab) has nothing that blocks it', () => {
    expect(parseMigrationFacts("<domain><os><kernel>/lab/vmlinuz</kernel></os><devices><serial type='file'/></devices></domain>", [])).toEqual({
      localDisks: [],
      pinnedDevices: [],
    })
  })
})

describe('parseJobInfo', () => {
  it('reads progress from a running job and downtime from a completed one', () => {
    expect(
      parseJobInfo(
        'Job type:         Unbounded\nOperation:        Outgoing migration\nTime elapsed:     1204         ms\nData processed:   48.125 MiB\nData remaining:   47.875 MiB\nData total:       96.000 MiB\nExpected downtime: 300          ms\n',
      ),
    ).toEqual({
      processedBytes: Math.round(48.125 * 1024 ** 2),
      totalBytes: 96 * 1024 ** 2,
      percent: 50,
      downtimeMs: 300,
      elapsedMs: 1204,
    })
    expect(parseJobInfo('Job type:         Completed\nTotal downtime:   42           ms\n').downtimeMs).toBe(42)
    expect(parseJobInfo('Job type:         None\n')).toEqual({})
  })
})
