import net from 'node:net'
import { afterEach, describe, expect, it, vi } from 'vitest'
import { openTcp } from '../../../src/ssh/handshake.js'

describe('openTcp', () => {
  afterEach(() => vi.restoreAllMocks())

  it("turns Nagle's algorithm off on the socket to a host, so an exec's small packets never wait for a delayed ACK", async () => {
    const noDelay = vi.spyOn(net.Socket.prototype, 'setNoDelay')
    const server = net.createServer((s) => s.end())
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
    const { port } = server.address() as net.AddressInfo
    const sock = openTcp({ address: '127.0.0.1', port })
    try {
      expect(noDelay.mock.contexts).toContain(sock)
      expect(noDelay.mock.calls[noDelay.mock.contexts.indexOf(sock)]).toEqual([true])
      await new Promise<void>((resolve, reject) => sock.once('connect', resolve).once('error', reject))
      expect(sock.remotePort).toBe(port)
    } finally {
      sock.destroy()
      await new Promise<void>((resolve) => server.close(() => resolve()))
    }
  })
})
