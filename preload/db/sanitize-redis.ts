// db.query.text for Redis: the command and its key, every other argument as `?` (SET user:42 ?,
// HSET h ? ?). Given to the maintained ioredis and redis instrumentations as their
// dbStatementSerializer; their default keeps the values of many commands (GET and INCR args,
// HMGET fields) and the password of AUTH. Commands whose first argument is not a key keep none;
// for CONFIG, ACL and the like the first argument is a subcommand (CONFIG SET ? ?).
const NO_KEY = new Set(['AUTH', 'HELLO', 'ECHO', 'PING', 'MIGRATE', 'EVAL', 'EVALSHA', 'EVAL_RO', 'EVALSHA_RO', 'FCALL', 'FCALL_RO']);

export function sanitizeRedisCommand(command: string, args: unknown[] | undefined): string {
  const name = String(command).toUpperCase();
  if (!args || args.length === 0) return name;
  const kept = NO_KEY.has(name) ? 0 : 1;
  const parts = [name];
  for (let i = 0; i < args.length; i++) parts.push(i < kept ? String(args[i]) : '?');
  return parts.join(' ');
}
