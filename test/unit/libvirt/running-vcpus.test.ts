// The vCPU load of a destination, from `virsh domstats --vcpu --list-running` (virsh 9.x output).
import { describe, expect, it } from 'vitest'
import { parseRunningVcpus, runningVcpusArgv } from '../../../src/libvirt/capacity.js'

describe('running vCPUs', () => {
  it('asks virsh for the vCPU stats of running guests only (a flag virsh 9 knows)', () => {
    expect(runningVcpusArgv('qemu:///system')).toEqual(['virsh', '-c', 'qemu:///system', 'domstats', '--vcpu', '--list-running'])
  })
  it('sums vcpu.current over every domain, ignoring the per-vCPU lines', () => {
    const out = [
      "Domain: 'h2-g1'",
      '  vcpu.current=2',
      '  vcpu.maximum=4',
      '  vcpu.0.state=1',
      '  vcpu.0.time=1000',
      '',
      "Domain: 'h2-g2'",
      '  vcpu.current=1',
      '  vcpu.maximum=1',
      '',
    ].join('\n')
    expect(parseRunningVcpus(out)).toBe(3)
    expect(parseRunningVcpus('')).toBe(0)
  })
})
