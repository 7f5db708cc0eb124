// Three guests' UUIDs on one URI, for the driver's and the watcher's batching tests.

export const URI = 'qemu:///system'
export const guestUuid = (n: number): string => `0b8a6e4c-3f5e-4b9a-9d6a-2f1c8e7d5a${String(n).padStart(2, '0')}`
export const A = guestUuid(1)
export const B = guestUuid(2)
export const C = guestUuid(3)
