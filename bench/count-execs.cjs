// Preload (`node -r ./bench/count-execs.cjs bin/run.js ...`): counts the exec requests ssh2 sends (one per SSH
// channel, one sshd session and remote command each) and prints them on stderr at exit, the first 110 characters of
// each command (EXEC_CHARS=N for more). How the exec counts per host in docs/bench.md were measured.
'use strict'
const { Client } = require('ssh2')
const exec = Client.prototype.exec
const commands = []
Client.prototype.exec = function (command, ...rest) {
  commands.push(command.replace(/\s+/g, ' ').slice(0, +(process.env.EXEC_CHARS ?? 110)))
  return exec.call(this, command, ...rest)
}
process.on('exit', () => process.stderr.write(`execs: ${commands.length}\n${commands.map((c) => `  ${c}\n`).join('')}`))
