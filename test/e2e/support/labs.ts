// Labs shared by several e2e files, so their guests boot once per run: each file reconciles the lab with
// `up()` (never `up(true)`) and leaves it running; the e2e global setup purges it at the start and the end.

import { Lab } from './fleet.js'

/** Three hosts, two guests each (ACPI delays 1 s and 2 s): rolling maintenance and evacuation. */
export const threeHosts = (): Lab => new Lab({ name: 'three-hosts', hosts: 3, guests: 2, delays: '1,2', basePort: 2271 })
