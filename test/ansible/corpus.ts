// The inventories of the Ansible parity suite: what Ansible's inventory docs show users writing (INI, YAML,
// folders with group_vars/ and host_vars/), each run through ansible-core and virtfleet. `differs` marks a
// case where virtfleet deliberately disagrees (listed in the README's "Ansible compatibility" section).

export interface Pattern {
  /** `pattern`: `ansible -i X P --list-hosts`; `limit`: `ansible -i X all --limit P --list-hosts` (for @file). */
  kind: 'pattern' | 'limit'
  text: string
}

export interface Case {
  name: string
  /** Files relative to the case's folder. */
  files: Record<string, string>
  /** -i values relative to the case's folder (default: the only file, or '.' for a folder case). */
  sources?: string[]
  patterns?: string[]
  /** Deliberate differences: vars whose value virtfleet keeps differently, or an error where Ansible accepts. */
  differs?: { why: string; vars?: Array<[host: string, name: string]>; virtfleetError?: RegExp; onlyVirtfleetHosts?: string[] }
}

const INI_VALUES = `# values on host lines are Python literals (after shell-style unquoting)
[web]
w1 n=5 s='5' q="x y" t=True f=false y=yes hex=0x1F oct=0o17 flt=1.5 exp=1e3 neg=-3 lst="[1, 'a', True]"
w2 d="{'k': 'v', 'n': [1, 2]}" tup="(1, 2)" none=None path=/srv/data empty= under=1_000 zero=0 lead=007
w3 ansible_host=10.0.0.3 ansible_port=2222 ansible_user=ops note="it's here"
`

const INI_GROUP_VARS = `[web]
w1
w2

[web:vars]
foo="bar baz"
single='one two'
n=5
f=1.25
t=True
lower=true
y=yes
lst=[1, 2, 'three']
dct={'a': 1, 'b': [true, False]}
spaced =   value with spaces   
eq=a=b=c
cmt=5 # a comment
cmt2=text # not a comment for strings
neg=-7
emptyv=
quote_mid=ab"cd"
bs='C:\\temp\\new'
concat='a' 'b'
`

const FLOAT_WHY = 'JavaScript has one number type: a float with an integral value (1.0, 1e3) is the integer 1 in virtfleet'

export const CORPUS: Case[] = [
  {
    name: 'ini-values-on-host-lines',
    files: { 'hosts.ini': INI_VALUES },
    differs: { why: FLOAT_WHY, vars: [['w1', 'exp']] },
  },
  { name: 'ini-group-vars-values', files: { 'hosts.ini': INI_GROUP_VARS } },
  {
    name: 'ini-ssh-common-args',
    files: {
      'hosts.ini': `[hv]
hv1 ansible_ssh_common_args='-o ProxyCommand="ssh -W %h:%p -q user@gw"'
hv2 ansible_ssh_common_args="-o StrictHostKeyChecking=no -o UserKnownHostsFile=/dev/null"

[all:vars]
ansible_ssh_common_args="-o UserKnownHostsFile=/path/known_hosts"
ansible_ssh_extra_args=-o ForwardAgent=yes

[hv:vars]
proxy_args='-o ProxyJump=ops@bastion:2222'
`,
    },
  },
  {
    name: 'ini-ssh-option-forms',
    files: {
      'hosts.ini': `[a]
a1 ansible_ssh_common_args="-o Port=2200"
a2 ansible_ssh_common_args="-o 'Port 2201'"
a3 ansible_ssh_common_args="-oPort=2202 -J jump1,jump2"
[a:vars]
ansible_ssh_extra_args='-o User=deploy'
`,
    },
  },
  {
    name: 'ini-ranges',
    files: {
      'hosts.ini': `[web]
web[01:04].example.com
db-[a:c]
node[0:10:5]
rack[1:2]-u[01:02]
[letters]
x[a:e:2]
`,
    },
  },
  {
    name: 'ini-children-deep',
    files: {
      'hosts.ini': `[leaf]
l1
[mid:children]
leaf
[top:children]
mid
[root:children]
top
[root:vars]
level=root
[top:vars]
level=top
[mid:vars]
level=mid
`,
    },
  },
  {
    name: 'ini-host-in-several-groups',
    files: {
      'hosts.ini': `[a]
h1
h2 v=a
[b]
h2 v=b
h3
[c]
h1
h3 w=1
[a:vars]
g=a
[b:vars]
g=b
[c:vars]
g=c
`,
    },
  },
  {
    name: 'ini-group-priority',
    files: {
      'hosts.ini': `[a]
h1
[b]
h1
[a:vars]
x=from_a
ansible_group_priority=10
[b:vars]
x=from_b
`,
    },
  },
  {
    name: 'ini-ungrouped-and-all-vars',
    files: {
      'hosts.ini': `# hosts before any section are ungrouped
u1
u2:2222 role=solo

[grp]
g1

[all:vars]
env=prod
port_default=22

[ungrouped:vars]
lonely=yes
`,
    },
  },
  {
    name: 'ini-host-port-forms',
    files: {
      'hosts.ini': `[hv]
hv1:2201
10.1.2.3:2202
hv2 ansible_port=2203
hv3:2204 ansible_port=2205
[v6]
[2001:db8::1]:2206
`,
    },
  },
  {
    name: 'ini-comments-blank-lines',
    files: {
      'hosts.ini': `
# a comment
; another comment

[web]   # trailing comment on a section
w1    # trailing comment on a host
w2 x=1 # comment after a var

[web:vars]
# comment in vars
k=v
`,
    },
  },
  {
    name: 'ini-children-forward-reference',
    files: {
      'hosts.ini': `[all_hv:children]
rack1
rack2
[rack1]
hv1
[rack2]
hv2
[rack2:vars]
r=2
`,
    },
  },
  {
    name: 'ini-vars-before-group',
    files: {
      'hosts.ini': `[late:vars]
a=1
[late]
h1
`,
    },
  },
  {
    name: 'ini-host-vars-override-group',
    files: {
      'hosts.ini': `[g]
h1 x=host
h2
[g:vars]
x=group
[all:vars]
x=all
y=all
`,
    },
  },
  {
    name: 'ini-repeated-host-merges-vars',
    files: {
      'hosts.ini': `[a]
h1 p=1 q=1
[b]
h1 q=2 r=2
`,
    },
  },
  {
    name: 'ini-quoting-edge',
    files: {
      'hosts.ini': `[q]
h1 a="with \\"escaped\\" quotes" b='single "double" inside' c=plain\\ space
h2 d="'5'" e='"quoted"' f="[1,2]" g='{"a":1}'
`,
    },
  },
  {
    name: 'ini-floats',
    files: {
      'hosts.ini': `[f]
h1 a=1.0 b=.5 c=2. d=1e-3 e=-0.25
[f:vars]
g=3.0
`,
    },
    differs: {
      why: FLOAT_WHY,
      vars: [
        ['h1', 'a'],
        ['h1', 'c'],
        ['h1', 'g'],
      ],
    },
  },
  {
    name: 'yaml-basic',
    files: {
      'hosts.yml': `all:
  hosts:
    solo:
  children:
    web:
      hosts:
        w1:
          http_port: 80
        w2:
          http_port: 8080
      vars:
        tier: frontend
    db:
      hosts:
        d1:
`,
    },
  },
  {
    name: 'yaml-scalars',
    files: {
      'hosts.yml': `all:
  hosts:
    h1:
      b_yes: yes
      b_no: no
      b_on: on
      b_off: Off
      b_true: True
      b_y: y
      b_n: n
      i: 42
      i_neg: -7
      i_oct: 0755
      i_hex: 0x1F
      i_under: 1_000
      f: 1.5
      f_exp: 1.0e+3
      f_noexp_sign: 1e3
      f_dot: .5
      nul: null
      tilde: ~
      empty:
      s_quoted: "yes"
      s_single: '42'
      date: 2024-01-15
      sexa: 1:30
      ver: 1.10
      str: hello world
      multi: |
        line one
        line two
      folded: >
        one
        two
`,
    },
    differs: { why: FLOAT_WHY, vars: [['h1', 'f_exp']] },
  },
  {
    name: 'yaml-null-groups',
    files: {
      'hosts.yaml': `all:
  children:
    empty_group:
    another:
      hosts:
    withhosts:
      hosts:
        h1:
        h2: ~
`,
    },
  },
  {
    name: 'yaml-nested-children',
    files: {
      'hosts.yml': `all:
  vars:
    level: all
  children:
    dc:
      vars:
        level: dc
      children:
        rack:
          vars:
            level: rack
          children:
            shelf:
              hosts:
                s1:
                s2:
                  level: host
`,
    },
  },
  {
    name: 'yaml-ranges-and-ports',
    files: {
      'hosts.yml': `all:
  children:
    hv:
      hosts:
        hv[01:03]:
        "hv[10:20:5]:2222":
        db-[a:b]:
          role: db
        plain:2200:
`,
    },
  },
  {
    name: 'yaml-lists-dicts',
    files: {
      'hosts.yml': `all:
  vars:
    uris: [qemu:///system, 'qemu+ssh://x/system']
    nested:
      a: [1, 2.5, true, null]
      b: { c: d }
  hosts:
    h1:
      fallback:
        - suspend
        - destroy
`,
    },
  },
  {
    name: 'yaml-host-in-several-groups',
    files: {
      'hosts.yml': `all:
  children:
    a:
      hosts:
        h1: { x: 1 }
      vars: { g: a }
    b:
      hosts:
        h1: { y: 2 }
        h2:
      vars: { g: b, ansible_group_priority: 5 }
    c:
      children:
        a:
      vars: { g: c }
`,
    },
  },
  {
    name: 'yaml-group-priority',
    files: {
      'hosts.yml': `all:
  children:
    z_low:
      hosts: { h1: }
      vars: { who: z, ansible_group_priority: 1 }
    a_high:
      hosts: { h1: }
      vars: { who: a, ansible_group_priority: 3 }
`,
    },
  },
  {
    name: 'yaml-top-level-groups',
    files: {
      'hosts.yml': `web:
  hosts:
    w1:
db:
  hosts:
    d1:
  vars:
    port: 5432
`,
    },
  },
  {
    name: 'yaml-anchors-merge',
    files: {
      'hosts.yml': `all:
  vars:
    common: &common
      user: ops
      become: true
  hosts:
    h1:
      <<: *common
      user: root
    h2: *common
`,
    },
  },
  {
    name: 'yaml-ssh-args',
    files: {
      'hosts.yml': `all:
  vars:
    ansible_ssh_common_args: '-o ProxyCommand="ssh -W %h:%p -q user@gw"'
  hosts:
    h1:
      ansible_ssh_common_args: -o StrictHostKeyChecking=no -o UserKnownHostsFile=/dev/null
    h2:
      ansible_ssh_extra_args: "-o ProxyJump=bastion"
`,
    },
  },
  {
    name: 'json-inventory',
    files: {
      'hosts.json': JSON.stringify({
        all: { hosts: { j1: { n: 1, f: 2.5, b: false, s: 'x' } }, children: { g: { hosts: { j2: null }, vars: { l: [1, 'two'] } } } },
      }),
    },
  },
  {
    name: 'folder-group-vars-host-vars',
    files: {
      'hosts.ini': `[web]
w1
w2
[db]
d1
`,
      'group_vars/all.yml': 'env: prod\nntp: pool.ntp.org\n',
      'group_vars/web.yml': 'http_port: 80\nenv: web-env\n',
      'group_vars/db': 'db_port: 5432\n',
      'host_vars/w1.yaml': 'http_port: 8080\nflag: yes\n',
      'host_vars/d1.json': '{"db_port": 6543}\n',
    },
    sources: ['hosts.ini'],
  },
  {
    name: 'folder-vars-subfolders',
    files: {
      'hosts.yml': `all:
  children:
    web:
      hosts:
        w1:
`,
      'group_vars/web/10-base.yml': 'a: 1\nb: base\n',
      'group_vars/web/20-override.yml': 'b: override\n',
      'group_vars/web/nested/30-deep.yml': 'c: deep\n',
      'host_vars/w1/main.yml': 'h: 1\n',
      'host_vars/w1/more/extra.yaml': 'h2: [a, b]\n',
    },
    sources: ['hosts.yml'],
  },
  {
    name: 'folder-inventory-dir',
    files: {
      'inv/10-web.yml': 'all:\n  children:\n    web:\n      hosts:\n        w1:\n',
      'inv/20-db': '[db]\nd1\n[db:vars]\nx=1\n',
      'inv/group_vars/db.yml': 'y: 2\n',
      'inv/host_vars/w1.yml': 'z: 3\n',
    },
    sources: ['inv'],
  },
  {
    name: 'folder-two-sources-override',
    files: {
      'a.ini': '[g]\nh1 x=1 y=1\n',
      'b.yml': 'all:\n  children:\n    g:\n      hosts:\n        h1:\n          y: 2\n        h2:\n',
    },
    sources: ['a.ini', 'b.yml'],
  },
  {
    name: 'folder-group-vars-precedence',
    files: {
      'hosts.ini': `[parent:children]
child
[child]
h1
[all:vars]
p=inv_all
[parent:vars]
p=inv_parent
q=inv_parent
[child:vars]
q=inv_child
`,
      'group_vars/all.yml': 'p: file_all\nr: file_all\n',
      'group_vars/parent.yml': 'r: file_parent\n',
    },
    sources: ['hosts.ini'],
  },
  {
    name: 'folder-yaml-scalars-in-vars-files',
    files: {
      'hosts.ini': '[g]\nh1\n',
      'group_vars/g.yml': 'a: yes\nb: off\nc: 010\nd: 0o10\ne: 1e3\nf: y\ng: ~\nh: "True"\ni: 2024-02-29\n',
    },
    sources: ['hosts.ini'],
  },
  {
    name: 'ini-ansible-docs-example',
    files: {
      'hosts.ini': `mail.example.com

[webservers]
foo.example.com
bar.example.com

[dbservers]
one.example.com
two.example.com
three.example.com

[atlanta]
host1 http_port=80 maxRequestsPerChild=808
host2 http_port=303 maxRequestsPerChild=909

[atlanta:vars]
ntp_server=ntp.atlanta.example.com
proxy=proxy.atlanta.example.com

[raleigh]
host2
host3

[southeast:children]
atlanta
raleigh

[southeast:vars]
some_server=foo.southeast.example.com
halon_system_timeout=30
self_destruct_countdown=60
escape_pods=2

[usa:children]
southeast
northeast
southwest
northwest

[northeast]
[southwest]
[northwest]
`,
    },
  },
  {
    name: 'ini-jumphost-alias',
    files: {
      'hosts.ini': `[hv]
jumper ansible_port=5555 ansible_host=192.0.2.50
hv1 ansible_ssh_common_args='-J ops@bastion.example.com:2222'
[hv:vars]
ansible_user=root
ansible_become=yes
ansible_ssh_private_key_file=~/.ssh/fleet
`,
    },
  },
  {
    name: 'yaml-docs-example',
    files: {
      'hosts.yml': `ungrouped:
  hosts:
    mail.example.com:
webservers:
  hosts:
    foo.example.com:
    bar.example.com:
dbservers:
  hosts:
    one.example.com:
    two.example.com:
    three.example.com:
east:
  hosts:
    foo.example.com:
    one.example.com:
    two.example.com:
west:
  hosts:
    bar.example.com:
    three.example.com:
prod:
  children:
    east:
test:
  children:
    west:
`,
    },
  },
  {
    name: 'ini-group-vars-types-for-resolve',
    files: {
      'hosts.ini': `[hv]
hv1
[hv:vars]
ansible_port=2222
ansible_become="true"
parallel=4
timeout="90s"
uris="['qemu:///system', 'qemu:///session']"
`,
    },
  },
  {
    name: 'ini-section-with-hosts-suffix',
    files: {
      'hosts.ini': `[g:hosts]
h1
[g:vars]
a=1
`,
    },
  },
  {
    name: 'ini-values-unicode-and-escapes',
    files: {
      'hosts.ini': `[u]
h1 greet="héllo wörld" tab='a\\tb' uni='\\u00e9' raw=r'\\d+' bytes_like=b'x'
[u:vars]
re='^web\\d+$'
nl="line1\\nline2"
`,
    },
  },
  {
    name: 'yaml-keys-numeric-and-bool',
    files: {
      'hosts.yml': `all:
  hosts:
    "10.0.0.1":
      ansible_port: 22
    h2:
      mapping:
        2: two
        true: yes
        null: none
`,
    },
  },
  {
    name: 'differs-ini-file-in-folder',
    files: { 'inv/10-web.yml': 'all:\n  children:\n    web:\n      hosts:\n        w1:\n', 'inv/20-db.ini': '[db]\nd1\n' },
    sources: ['inv'],
    differs: { why: 'Ansible skips *.ini files in an inventory folder (INVENTORY_IGNORE_EXTS); virtfleet reads them', onlyVirtfleetHosts: ['d1'] },
  },
  {
    name: 'differs-yaml-unknown-group-key',
    files: { 'hosts.yml': 'all:\n  children:\n    web:\n      host:\n        w1:\n' },
    differs: {
      why: 'Ansible warns about an unknown key in a YAML group and drops it; virtfleet refuses it',
      virtfleetError: /unknown key "host" in group "web"/,
    },
  },
  {
    name: 'differs-ini-vars-without-group',
    files: { 'hosts.ini': '[h]\nh1\n[typo:children]\nnosuch\n' },
    differs: { why: 'both refuse a [g:children] naming an undefined group (no difference: kept as a check)', virtfleetError: /undefined group "nosuch"/ },
  },
]

/**
 * Patterns checked against `ansible PATTERN --list-hosts`, in order. Each level of the group tree has at most one
 * group with children: Ansible walks a level of several such groups in Python set order, which varies per run.
 */
export const PATTERN_INVENTORY = `[web]
web1
web2
web3
[db]
db1
db2
[cache]
web2
cache1
[east:children]
web
[east]
db1
[west]
db2
cache1
[prod:children]
east
[monitor]
mon-1.example.com
mon-2.example.com
10.0.0.5
2001:db8::7
`

export const PATTERNS: string[] = [
  'all',
  '*',
  'web',
  'db',
  'web:db',
  'web,db',
  'db:web',
  'db,web',
  'web:&cache',
  'web:!cache',
  'all:!web',
  '!web',
  '&web',
  'web:db:!db2',
  'web:!web2:db',
  'east',
  'west',
  'prod',
  'prod:!db',
  'east:&west',
  'east:west',
  'west,east',
  'web*',
  'w*',
  '*1',
  'web?',
  'web[12]',
  'web[!1]',
  'mon-*.example.com',
  '*.example.com',
  '~web[0-9]',
  '~(web|db)1',
  '~^db',
  '~.*example',
  '~cache',
  'web[0]',
  'web[1]',
  'web[-1]',
  'web[0:1]',
  'web[1:]',
  'web[1:2]',
  'all[0]',
  'all[-1]',
  'all[2:4]',
  'east[0:2]',
  'web[0]:db[-1]',
  'web[5]',
  'nosuch',
  'nosuch:web',
  'web1',
  'web1:db2',
  'web1,web3,web2',
  'ungrouped',
  '10.0.0.5',
  '10.0.0.*',
  'db:&east:!db1',
  'web , db',
  'cache:web:&east',
  'all:&prod:!web1',
  'web*:&cache',
  '*:!*1',
  'web[0]:web[-1]',
  '~web:!web3',
  'monitor:!~.*-2.*',
  'east:!web[0]',
  'prod[1:3]',
  'web:db,cache',
  '2001:db8::7',
]

/** @file patterns: each file line is one pattern (as Ansible reads --limit @file). */
export const LIMIT_FILES: Record<string, string> = {
  'ordered.txt': 'web3\ndb1\nweb1\n',
  'mixed.txt': 'web\n!web2\n',
  'groups.txt': 'db\ncache\n',
}
