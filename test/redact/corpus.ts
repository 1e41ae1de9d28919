// The redaction corpus: named cases, positives (something is masked: `expected` is the exact
// result) and negatives (nothing is: no `expected`, and the very same value must come back).
// Each case goes through one method of a redactor made with `options` (default: none).
// Structures whose identity matters beyond equality (cycles, shared subtrees) are in
// structures.test.ts.

export type Method = 'string' | 'value' | 'attributes' | 'queryString';

export interface Case {
  name: string;
  method: Method;
  input: unknown;
  /** The exact result; absent for a negative (the input itself must be returned). */
  expected?: unknown;
  options?: { extraKeys?: string[]; extraPatterns?: string[] };
}

const R = '[REDACTED]';
const m = (kind: string) => `[REDACTED:${kind}]`;

// Realistic-looking but fake secrets (the documented examples of each vendor, or made up).
const JWT = 'eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJzdWIiOiIxMjM0NTY3ODkwIiwibmFtZSI6IkpvaG4gRG9lIn0.SflKxwRJSMeKKF2QT4fwpMeJf36POk6yJV_adQssw5c';
const JWT_NO_SIG = 'eyJhbGciOiJub25lIiwidHlwIjoiSldUIn0.eyJzdWIiOiI0MiJ9.';
const AWS_ID = 'AKIAIOSFODNN7EXAMPLE';
const AWS_STS_ID = 'ASIAY34FZKBOKMUTVV7A';
const AWS_SECRET = 'wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY';
const GCP = 'AIzaSyDdI0hCZtE6vySjMm-WEfRq3CPzqKqqsHI';
const GHP = 'ghp_16C7e42F292c6912E7710c838347Ae178B4a';
const GHO = 'gho_16C7e42F292c6912E7710c838347Ae178B4a';
const GHS = 'ghs_abcdefghijklmnopqrstuvwxyzABCDEFGHIJ';
const GH_PAT = 'github_pat_11ABCDEFG0abcdefghijkl_mnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789abcdefghi';
const SLACK_BOT = 'xoxb-2048-4096-abcdefghijABCDEFGHIJ';
const SLACK_USER = 'xoxp-1234567890-1234567890-1234567890-abcdef0123456789';
const STRIPE = 'sk_live_4eC39HqLyjWDarjtT1zdp7dc';
const STRIPE_RK = 'rk_live_51H8abcDEFghiJKLmnoPQRst';
const PEM_RSA = '-----BEGIN RSA PRIVATE KEY-----\nMIIEpAIBAAKCAQEA3Tz2mr7SZiAMfQyuvBjM9Oi\nZ1BjP5CE/Wm/Rr500PRK+Lh9x5eJPo5CAZ3/ANBE0sTK0ZsDGMak2m1g7\n-----END RSA PRIVATE KEY-----';
const PEM_PKCS8 = '-----BEGIN PRIVATE KEY-----\nMIIEvQIBADANBgkqhkiG9w0BAQEFAASCBKcwggSjAgEAAoIBAQC7\n-----END PRIVATE KEY-----';
const PEM_EC = '-----BEGIN EC PRIVATE KEY-----\nMHcCAQEEIIrYSSNQFaA2Hwf1duRSxKtLYX5CB04fSeQ6tF1aY/PuoAoGCCqGSM49\n-----END EC PRIVATE KEY-----';
const PEM_SSH = '-----BEGIN OPENSSH PRIVATE KEY-----\nb3BlbnNzaC1rZXktdjEAAAAABG5vbmUAAAAEbm9uZQAAAAAAAAABAAAAMwAAAAtzc2gtZW\n-----END OPENSSH PRIVATE KEY-----';
const PEM_ENCRYPTED = '-----BEGIN ENCRYPTED PRIVATE KEY-----\nMIIFHDBOBgkqhkiG9w0BBQ0wQTApBgkqhkiG9w0BBQwwHAQIkdq\n-----END ENCRYPTED PRIVATE KEY-----';
const CERT = '-----BEGIN CERTIFICATE-----\nMIIDdzCCAl+gAwIBAgIEAgAAuTANBgkqhkiG9w0BAQUFADBaMQswCQYDVQQGEwJJRTESMBAGA1UE\n-----END CERTIFICATE-----';
const PUBLIC_KEY = '-----BEGIN PUBLIC KEY-----\nMIIBIjANBgkqhkiG9w0BAQEFAAOCAQ8AMIIBCgKCAQEAu1SU1LfVLPHCozMxH2Mo\n-----END PUBLIC KEY-----';
const UUID = '550e8400-e29b-41d4-a716-446655440000';
const TRACE_ID = '4bf92f3577b34da6a3ce929d0e0e4736';
const SPAN_ID = '00f067aa0ba902b7';
const SHA256 = '9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08';
const SHA1 = 'a94a8fe5ccb19ba61c4c0873d391e987982fbbd3';

// ---------------------------------------------------------------------------------------------
// Keys: values under secret-named keys, at any depth, in any spelling.

const secretKeys = [
  'password', 'PASSWORD', 'Password', 'passwd', 'db_pwd', 'secret', 'token', 'api_key', 'apikey', 'apiKey', 'API_KEY',
  'x-api-key', 'X-Api-Key', 'authorization', 'Authorization', 'proxy-authorization', 'cookie', 'Cookie', 'set-cookie',
  'Set-Cookie', 'credit_card', 'creditCard', 'card_number', 'cardNumber', 'cvv', 'CVV2', 'cvc', 'ssn', 'SSN',
  'private_key', 'privateKey', 'accessToken', 'access_token', 'refresh_token', 'refreshToken', 'id_token',
  'client_secret', 'clientSecret', 'CLIENT_SECRET', 'AWS_SECRET_ACCESS_KEY', 'secretKey', 'passphrase',
  'x-auth-token', 'sessionToken', 'csrfToken', 'GITHUB_TOKEN', 'stripeSecretKey', 'encryption_key', 'signingKey',
  'dbPassword', 'DB_PASSWORD', 'new_password', 'passwordConfirmation', 'passwordHash', 'cc_number', 'XAPIKEY',
  'accesstoken', 'clientsecret', 'APIKey', 'auth', 'credentials', 'aws_access_key', 'masterKey', 'passcode',
  'authorization_header', 'cookieHeader', 'secret_value', 'token_id', 'X-Forwarded-Authorization', 'x-amz-security-token',
];

const keyPositives: Case[] = secretKeys.map((key) => ({
  name: `key ${key}`,
  method: 'value',
  input: { user: 'bob', [key]: 's3cr3t-value', n: 1 },
  expected: { user: 'bob', [key]: R, n: 1 },
}));

const plainKeys = [
  'tokenizer', 'keyboard', 'passage', 'secretary', 'max_tokens', 'prompt_tokens', 'gen_ai.usage.input_tokens', 'tokens',
  'token_type', 'tokenCount', 'token_expires_at', 'password_updated_at', 'passwordPolicy', 'private_key_path',
  'cookie_name', 'authorization_url', 'tokenUrl', 'author', 'authority', 'auth_method', 'authMethod', 'monkey',
  'turkey', 'key', 'cache_key', 'primaryKey', 'sortKey', 'PWD', 'OLDPWD', 'session_id', 'username', 'user', 'compass',
  'bypass', 'passenger', 'card_type', 'cardholder', 'pan_zoom', 'spinner', 'Japan', 'hotkey', 'keyId', 'passwordStrength',
  'secret_name', 'cookieConsent', 'credential_type', 'trace_id', 'spanId', 'tokenExpiresIn', 'www-authenticate',
  'proxy-authenticate', 'authenticated',
];

const keyNegatives: Case[] = plainKeys.map((key) => ({
  name: `plain key ${key}`,
  method: 'value',
  input: { [key]: 'visible-value', level: 30 },
}));

const keyShapes: Case[] = [
  {
    name: 'secret key nested five levels deep',
    method: 'value',
    input: { a: { b: { c: { d: { e: { password: 'x', keep: 'y' } } } } }, top: 1 },
    expected: { a: { b: { c: { d: { e: { password: R, keep: 'y' } } } } }, top: 1 },
  },
  {
    name: 'secret keys in an array of objects',
    method: 'value',
    input: { users: [{ name: 'a', token: 't1' }, { name: 'b', token: 't2' }, { name: 'c' }] },
    expected: { users: [{ name: 'a', token: R }, { name: 'b', token: R }, { name: 'c' }] },
  },
  {
    name: 'secret key holding an object',
    method: 'value',
    input: { credentials: { user: 'bob', pass: 'x' }, id: 7 },
    expected: { credentials: R, id: 7 },
  },
  {
    name: 'secret key holding an array keeps its length',
    method: 'value',
    input: { 'set-cookie': ['sid=1; Path=/', 'theme=dark'] },
    expected: { 'set-cookie': [R, R] },
  },
  { name: 'secret key holding a number', method: 'value', input: { cvv: 123, amount: 10 }, expected: { cvv: R, amount: 10 } },
  { name: 'secret key holding a bigint', method: 'value', input: { ssn: 123456789n }, expected: { ssn: R } },
  { name: 'secret key holding null stays null', method: 'value', input: { password: null, user: 'bob' } },
  { name: 'secret key holding undefined stays', method: 'value', input: { token: undefined } },
  { name: 'secret key holding a flag stays', method: 'value', input: { has_password: true, password: false } },
  { name: 'secret key holding an empty string stays', method: 'value', input: { password: '' } },
  { name: 'secret key already redacted stays', method: 'value', input: { password: R } },
  {
    name: 'headers object as node:http gives it',
    method: 'value',
    input: { method: 'GET', headers: { host: 'shop:3000', authorization: 'Basic Ym9iOnNlY3JldA==', cookie: 'sid=abc', accept: '*/*' } },
    expected: { method: 'GET', headers: { host: 'shop:3000', authorization: R, cookie: R, accept: '*/*' } },
  },
  {
    name: 'secret keys in a Map',
    method: 'value',
    input: new Map<unknown, unknown>([['password', 'x'], ['user', 'bob'], [42, 'n']]),
    expected: new Map<unknown, unknown>([['password', R], ['user', 'bob'], [42, 'n']]),
  },
  {
    name: 'Map without secrets is returned as is',
    method: 'value',
    input: new Map<unknown, unknown>([['user', 'bob'], ['n', 1]]),
  },
  {
    name: 'secret key in an object inside a Map inside an array',
    method: 'value',
    input: [new Map([['cfg', { apiKey: 'k', region: 'eu' }]])],
    expected: [new Map([['cfg', { apiKey: R, region: 'eu' }]])],
  },
  {
    name: 'null-prototype object',
    method: 'value',
    input: Object.assign(Object.create(null) as object, { token: 't', a: 1 }),
    expected: Object.assign(Object.create(null) as object, { token: R, a: 1 }),
  },
  {
    name: 'extra key from the options',
    method: 'value',
    options: { extraKeys: ['pin', 'account_number'] },
    input: { pin: '1234', bankAccountNumber: 'DE89 3704', spinner: 'on', account: 'main' },
    expected: { pin: R, bankAccountNumber: R, spinner: 'on', account: 'main' },
  },
  {
    name: 'extra key that ends with a qualifier word',
    method: 'value',
    options: { extraKeys: ['session_name', 'token_count'] },
    input: { sessionName: 'blue-falcon', max_token_count: 5, token_type: 'bearer' },
    expected: { sessionName: R, max_token_count: R, token_type: 'bearer' },
  },
  {
    name: 'extra key in camelCase form',
    method: 'value',
    options: { extraKeys: ['dateOfBirth'] },
    input: { date_of_birth: '1990-01-01', user: { DateOfBirth: '1990-01-01' } },
    expected: { date_of_birth: R, user: { DateOfBirth: R } },
  },
  {
    name: 'AWS-named key with a secret-looking value',
    method: 'value',
    input: { aws_key: AWS_SECRET, aws_region: 'eu-west-1' },
    expected: { aws_key: m('aws_secret_key'), aws_region: 'eu-west-1' },
  },
  { name: 'AWS-named key with an ordinary value', method: 'value', input: { aws_region: 'eu-west-1', awsAccount: '123456789012' } },
];

// ---------------------------------------------------------------------------------------------
// Strings: the sensitive part masked, the rest kept.

const s = (name: string, input: string, expected?: string, options?: Case['options']): Case =>
  expected === undefined ? { name, method: 'string', input, options } : { name, method: 'string', input, expected, options };

const stringPositives: Case[] = [
  // e-mail addresses
  s('email in a sentence', 'user bob@example.com logged in', `user ${m('email')} logged in`),
  s('email with plus and subdomain', 'sent to Jane.Doe+news@mail.example.co.uk.', `sent to ${m('email')}.`),
  s('email uppercase', 'FROM: ALICE@EXAMPLE.ORG', `FROM: ${m('email')}`),
  s('email in quotes', 'user "carol@example.io" not found', `user "${m('email')}" not found`),
  s('email in angle brackets', 'From: Bob <bob@example.com>', `From: Bob <${m('email')}>`),
  s('two emails', 'a@example.com and b@example.net', `${m('email')} and ${m('email')}`),
  s('email after mailto', 'link mailto:help@example.com', `link mailto:${m('email')}`),
  s('email with digits and dash domain', 'u123@my-host1.example.dev', m('email')),
  s('email at start of JSON value', '{"email":"dan@example.com"}', `{"email":"${m('email')}"}`),
  // JWTs and Authorization values
  s('jwt alone', JWT, m('jwt')),
  s('jwt in a sentence', `token ${JWT} rejected`, `token ${m('jwt')} rejected`),
  s('jwt without signature', `id ${JWT_NO_SIG} ok`, `id ${m('jwt')} ok`),
  s('jwt in a path', `GET /verify/${JWT}/confirm`, `GET /verify/${m('jwt')}/confirm`),
  s('bearer token in prose', 'called with Bearer 8f14e45fceea167a5a36dedd4bea2543 yesterday', `called with Bearer ${m('bearer')} yesterday`),
  s('bearer jwt in prose', `sent Bearer ${JWT}`, `sent Bearer ${m('bearer')}`),
  s('lowercase bearer', 'bearer abcDEF123456ghi', `bearer ${m('bearer')}`),
  s('basic credentials in prose', 'retrying with Basic dXNlcjpwYXNzd29yZA== now', `retrying with Basic ${m('basic')} now`),
  // card numbers
  s('visa 16 plain', 'card 4111111111111111 charged', `card ${m('card')} charged`),
  s('visa 16 spaced', 'card 4111 1111 1111 1111 charged', `card ${m('card')} charged`),
  s('visa 16 dashed', 'card 4012-8888-8888-1881', `card ${m('card')}`),
  s('visa 13', 'old card 4222222222222', `old card ${m('card')}`),
  s('visa 19', 'card 4000000000000000006 ok', `card ${m('card')} ok`),
  s('mastercard', 'mc=5555555555554444;', `mc=${m('card')};`),
  s('mastercard 2-series', 'pay 2223003122003222', `pay ${m('card')}`),
  s('mastercard spaced', '5105 1051 0510 5100', m('card')),
  s('amex 4-6-5', 'amex 3782 822463 10005 exp', `amex ${m('card')} exp`),
  s('amex plain', '(371449635398431)', `(${m('card')})`),
  s('discover', 'Discover: 6011111111111117', `Discover: ${m('card')}`),
  s('discover dashed', '6011-0009-9013-9424', m('card')),
  s('diners 14', 'diners 30569309025904.', `diners ${m('card')}.`),
  s('diners 38', '38520000023237', m('card')),
  s('jcb', 'jcb 3530111333300000 and 3566002020360505', `jcb ${m('card')} and ${m('card')}`),
  s('unionpay', '6200000000000005', m('card')),
  s('unionpay 19', 'up 6250941006528599', `up ${m('card')}`),
  s('card followed by a cvv-like group', 'card 4111 1111 1111 1111 123 exp 12/29', `card ${m('card')} 123 exp 12/29`),
  s('card in JSON', '{"pan":"4111111111111111","exp":"12/29"}', `{"pan":"${m('card')}","exp":"12/29"}`),
  // cloud and service keys
  s('aws access key id', `key id ${AWS_ID} used`, `key id ${m('aws_access_key_id')} used`),
  s('aws sts key id', `assumed ${AWS_STS_ID}`, `assumed ${m('aws_access_key_id')}`),
  s('aws secret after aws_secret_access_key', `aws_secret_access_key=${AWS_SECRET}`, `aws_secret_access_key=${R}`),
  s('aws secret after AWS_SECRET_KEY:', `AWS_SECRET_KEY: ${AWS_SECRET}`, `AWS_SECRET_KEY: ${R}`),
  s('aws secret after aws_key', `aws_key="${AWS_SECRET}" region=eu`, `aws_key="${m('aws_secret_key')}" region=eu`),
  s('aws secret after SecretAccessKey in JSON', `{"AccessKeyId":"${AWS_ID}","SecretAccessKey":"${AWS_SECRET}"}`, `{"AccessKeyId":"${R}","SecretAccessKey":"${R}"}`),
  s('gcp api key', `maps key ${GCP} loaded`, `maps key ${m('gcp_api_key')} loaded`),
  s('github ghp token', `clone with ${GHP}`, `clone with ${m('github_token')}`),
  s('github gho token', `oauth ${GHO}.`, `oauth ${m('github_token')}.`),
  s('github ghs token', `app ${GHS}`, `app ${m('github_token')}`),
  s('github fine-grained pat', `pat ${GH_PAT} set`, `pat ${m('github_token')} set`),
  s('github token in a URL', `https://${GHP}@github.com/org/repo.git`, `https://${m('github_token')}@github.com/org/repo.git`),
  s('slack bot token', `slack ${SLACK_BOT}`, `slack ${m('slack_token')}`),
  s('slack user token', `${SLACK_USER} revoked`, `${m('slack_token')} revoked`),
  s('stripe live secret key', `stripe key ${STRIPE}`, `stripe key ${m('stripe_key')}`),
  s('stripe restricted key', `rk ${STRIPE_RK}`, `rk ${m('stripe_key')}`),
  s('pem rsa private key', `loaded ${PEM_RSA} from disk`, `loaded ${m('private_key')} from disk`),
  s('pem pkcs8 private key', PEM_PKCS8, m('private_key')),
  s('pem ec private key', `key:\n${PEM_EC}\nend`, `key:\n${m('private_key')}\nend`),
  s('pem openssh private key', PEM_SSH, m('private_key')),
  s('pem encrypted private key', `${PEM_ENCRYPTED} ok`, `${m('private_key')} ok`),
  s('pem private key cut short', '-----BEGIN RSA PRIVATE KEY-----\nMIIEpAIBAAKCAQEA3Tz2mr7', m('private_key')),
  s('pem private key in JSON with escaped newlines', `{"private_key":"-----BEGIN PRIVATE KEY-----\\nMIIEvQIBADAN\\n-----END PRIVATE KEY-----\\n"}`, `{"private_key":"${m('private_key')}\\n"}`),
  // passwords in URLs
  s('postgres url password', 'connect postgres://app:hunter2@db.internal:5432/shop', `connect postgres://app:${m('password')}@db.internal:5432/shop`),
  s('redis url with password only', 'redis://:s3cr3t@cache:6379/0', `redis://:${m('password')}@cache:6379/0`),
  s('mongodb+srv url', 'mongodb+srv://admin:Pa55w0rd@cluster0.example.net/db?retryWrites=true', `mongodb+srv://admin:${m('password')}@cluster0.example.net/db?retryWrites=true`),
  s('amqp url', 'amqp://guest:guest@rabbit:5672', `amqp://guest:${m('password')}@rabbit:5672`),
  // name=value inside strings
  s('password= in a message', 'login failed: password=hunter2 user=bob', `login failed: password=${R} user=bob`),
  s('password: in a message', 'password: hunter2', `password: ${R}`),
  s('JSON text', '{"user":"bob","password":"hunter2"}', `{"user":"bob","password":"${R}"}`),
  s('JSON text with spaces', '{ "api_key" : "abc123", "n": 1 }', `{ "api_key" : "${R}", "n": 1 }`),
  s('JSON text single quotes', "{'token': 'abc123'}", `{'token': '${R}'}`),
  s('escaped JSON inside a string', '{\\"secret\\":\\"abc\\",\\"n\\":1}', `{\\"secret\\":\\"${R}\\",\\"n\\":1}`),
  s('Authorization header line', 'Authorization: Bearer abcdef0123456789', `Authorization: ${R}`),
  s('Authorization header line, Digest', 'authorization: Digest username="bob", realm="x", response="6629fae4"\nnext', `authorization: ${R}\nnext`),
  s('Cookie header line', 'Cookie: sid=abc123; theme=dark\nAccept: */*', `Cookie: ${R}\nAccept: */*`),
  s('x-api-key header line', 'x-api-key: 0123abcd', `x-api-key: ${R}`),
  s('query string in a log line', 'GET /cb?code=xyz&access_token=abc123 200', `GET /cb?code=xyz&access_token=${R} 200`),
  s('several assignments', 'token=abc secret=def page=2', `token=${R} secret=${R} page=2`),
  s('assignment with a number value', 'cvv=123 amount=10', `cvv=${R} amount=10`),
  s('client_secret in a form body', 'grant_type=client_credentials&client_id=app&client_secret=s3cr3t', `grant_type=client_credentials&client_id=app&client_secret=${R}`),
  s('env-style line', 'DB_PASSWORD=hunter2\nDB_HOST=db', `DB_PASSWORD=${R}\nDB_HOST=db`),
  // Deliberately strict: after a secret-named word and a separator, the next word goes, even in prose.
  s('prose after a secret word and a colon', 'Invalid token: jwt expired', `Invalid token: ${R} expired`),
  s('several kinds in one message', `user bob@example.com paid with 4111111111111111 using ${STRIPE}`, `user ${m('email')} paid with ${m('card')} using ${m('stripe_key')}`),
  // extra patterns
  s('extra pattern', 'order ORD-12345678 shipped', `order ${m('custom')} shipped`, { extraPatterns: ['ORD-[0-9]{8}'] }),
  s('extra pattern with a secret group', 'voucher code=VC-99887766 ok', `voucher code=VC-${m('custom')} ok`, { extraPatterns: ['VC-(?<secret>\\d{8})'] }),
  s('extra pattern on a short string', 'k9', m('custom'), { extraPatterns: ['k\\d'] }),
];

const stringNegatives: Case[] = [
  s('plain message', 'request completed'),
  s('empty string', ''),
  s('short string', 'ok'),
  s('http access line', 'GET /api/orders/12345 200 12.4 ms - 512 bytes'),
  s('order id, 16 digits, not Luhn-valid', 'order 4111111111111112 shipped'),
  s('16 digits not Luhn-valid, grouped', '4111 1111 1111 1112'),
  s('millisecond timestamp (Luhn-valid, not a card prefix)', 'at 1712345678907 done'),
  s('epoch seconds', 'ts=1712345678'),
  s('snowflake id', 'tweet 1780000000000000001 posted'),
  s('20-digit number', 'id 41111111111111111111 x'),
  s('Luhn-valid number with prefix 1', '1234567812345670'),
  s('Luhn-valid number with prefix 9', '9000000000000001'),
  s('Luhn-valid date-like id', 'batch 2024011510300002'),
  s('phone number with plus (Luhn-valid digits)', 'call +4915112345678 now'),
  s('phone number spaced', 'call +1 555 123 4567'),
  s('decimal number', 'pi 3.14159265358979323846'),
  s('amount with many digits and a decimal point', 'total 4111111111111111.50 EUR'),
  s('uuid', `request ${UUID} done`),
  s('trace id', `trace ${TRACE_ID}`),
  s('traceparent', `traceparent: 00-${TRACE_ID}-${SPAN_ID}-01`),
  s('sha256', `sha256:${SHA256}`),
  s('sha1 git commit', `commit ${SHA1}`),
  s('base64 blob with no key name', 'data aGVsbG8gd29ybGQ= end'),
  s('url without credentials', 'fetch https://api.example.com/v1/orders?page=2&sort=desc'),
  s('url with user and no password', 'clone https://git@github.com/org/repo.git'),
  s('ssh style git remote', 'git@github.com:org/repo.git'),
  s('host and port', 'listening on 127.0.0.1:8080'),
  s('ipv6 address', 'peer [2001:db8::1]:443'),
  s('npm package versions', 'installed lodash@4.17.21 and @types/node@24.0.0'),
  s('scoped package name', 'require @opentelemetry/api'),
  s('retina image name', 'icon@2x.png and logo@3x.webp'),
  s('decorator', '@Injectable() class Service'),
  s('handle', 'ping @bob please'),
  s('address without a dot in the domain', 'root@localhost'),
  s('basic authentication words', 'basic authentication required'),
  s('bearer token missing', 'Bearer token missing'),
  s('bearer with a short word', 'expected Bearer abc'),
  s('token expired (no separator)', 'token expired for user 42'),
  s('tokenizer assignment', 'tokenizer=bpe vocab=32000'),
  s('keyboard assignment', 'keyboard: us'),
  s('passage assignment', 'passage: 3'),
  s('max_tokens assignment', 'max_tokens=1024'),
  s('token_type assignment', 'token_type=Bearer'),
  s('pwd env line', 'PWD=/srv/app'),
  s('password word in prose', 'password reset requested for user 42'),
  s('secret in prose', 'the secret santa list is ready'),
  s('iso timestamp', '2024-01-15T10:30:00.123Z'),
  s('date and time', '2024-01-15 10:30:00'),
  s('status and duration', 'status: ok duration=12ms'),
  s('connection refused', 'Error: connect ECONNREFUSED 127.0.0.1:5432'),
  s('AKIA mentioned', 'keys start with AKIA or ASIA'),
  s('AKIA-like but too short', 'AKIAIOSFODNN7'),
  s('eyJ mentioned', 'JWT headers start with eyJ'),
  s('sk_live mentioned', 'use sk_live_ keys in production only'),
  s('ghp_ mentioned', 'classic tokens look like ghp_...'),
  s('xoxb mentioned', 'Slack bot tokens begin xoxb-'),
  s('certificate', `cert ${CERT}`),
  s('public key', PUBLIC_KEY),
  s('dashes ruler', '------------------------------'),
  s('version string', 'node v24.21.0 on linux-x64'),
  s('user agent', 'Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0 Safari/537.36'),
  s('file path', '/var/lib/app/data/2024/01/15/file-0001.json'),
  s('sql without secrets', 'SELECT id, name FROM users WHERE id = $1'),
  s('already masked value', `password=${R} email=${m('email')}`),
  s('masked stars', 'password=****'),
  s('null value', '{"password":null}'),
  s('non-ASCII text', 'café ☕ 日本語 ok'),
  s('long word run', 'Pneumonoultramicroscopicsilicovolcanoconiosis'),
  s('camelCase identifier run', 'createRedactorForTheLogsPipeline'),
  s('card words without a number', 'credit card declined: insufficient funds'),
  s('last four digits of a card', 'card ending 1111 charged'),
  s('card masked by the app', 'card 4111 **** **** 1111'),
  s('image digest', 'pulled ghcr.io/acme/shop@sha256:9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08'),
  s('kubernetes pod name', 'pod checkout-7f9c8d5b4-x2k9p restarted'),
  s('windows path', 'C:\\Users\\bob\\AppData\\Local\\Temp\\x.log'),
  s('cron expression', 'schedule */5 * * * *'),
  s('semver range', 'peer dependency ^18.0.0 || ^19.0.0'),
  s('WWW-Authenticate challenge', 'WWW-Authenticate: Basic realm="shop"'),
  s('JSON log line without secrets', '{"level":30,"msg":"request completed","req":{"method":"GET","url":"/api/orders/12345"},"responseTime":12}'),
];

// ---------------------------------------------------------------------------------------------
// Query strings (url.query): secret-named parameters and values holding a secret become REDACTED.

const q = (name: string, input: string, expected?: string): Case =>
  expected === undefined ? { name, method: 'queryString', input } : { name, method: 'queryString', input, expected };

const queries: Case[] = [
  q('query token', 'token=s3cr3t&page=2', 'token=REDACTED&page=2'),
  q('query password', 'user=bob&password=hunter2', 'user=bob&password=REDACTED'),
  q('query api_key', 'api_key=abc&q=shoes', 'api_key=REDACTED&q=shoes'),
  q('query apiKey camelCase', 'apiKey=abc', 'apiKey=REDACTED'),
  q('query access_token', 'access_token=abc&token_type=bearer', 'access_token=REDACTED&token_type=REDACTED'),
  q('query AWS presigned', 'X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential=AKIDEXAMPLE%2F20240115%2Fus-east-1&X-Amz-Signature=fe5f80f77d5fa3beca038a248ff027', 'X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential=REDACTED&X-Amz-Signature=REDACTED'),
  q('query azure sas sig', 'sv=2022-11-02&sig=abc%2Bdef%3D', 'sv=2022-11-02&sig=REDACTED'),
  q('query oauth code', 'code=4%2F0AX4XfWh&state=xyz', 'code=REDACTED&state=xyz'),
  q('query session', 'sessionid=abc123&lang=en', 'sessionid=REDACTED&lang=en'),
  q('query percent-encoded name', 'pass%77ord=x&a=1', 'pass%77ord=REDACTED&a=1'),
  q('query email value', 'email=bob%40example.com&page=1', 'email=REDACTED&page=1'),
  q('query jwt in an ordinary parameter', `id_hint=1&state=${JWT}`, 'id_hint=1&state=REDACTED'),
  q('query redirect holding a token', 'next=%2Fcb%3Ftoken%3Dabc123&x=1', 'next=REDACTED&x=1'),
  q('query card in a value', 'note=card+4111+1111+1111+1111', 'note=REDACTED'),
  q('query bare value holding a secret', `${JWT}&page=2`, 'REDACTED&page=2'),
  q('query auth parameter', 'auth=xyz&view=full', 'auth=REDACTED&view=full'),
  q('query no secrets', 'page=2&sort=desc&filter=open'),
  q('query empty', ''),
  q('query without values', 'flag&debug'),
  q('query empty secret value', 'token=&page=2'),
  q('query uuid and trace id values', `id=${UUID}&trace=${TRACE_ID}`),
  q('query url without credentials', 'next=https%3A%2F%2Fshop.example.com%2Fcart'),
  q('query already masked', 'token=REDACTED&a=1'),
  q('query utm parameters', 'utm_source=newsletter&utm_medium=email&utm_campaign=spring'),
  q('query dates and plus signs', 'from=2024-01-15T00%3A00%3A00Z&q=red+shoes'),
  q('query encoded JSON without secrets', 'filter=%7B%22status%22%3A%22open%22%7D'),
];

// ---------------------------------------------------------------------------------------------
// Attributes (span and log): keys as for values, url.query / url.full as queries.

const spanAttributes = {
  'http.request.method': 'GET',
  'url.path': '/api/orders/12345',
  'url.scheme': 'https',
  'url.query': 'page=2&sort=desc',
  'http.route': '/api/orders/:id',
  'http.response.status_code': 200,
  'server.address': 'shop.example.com',
  'server.port': 443,
  'client.address': '10.0.3.17',
  'user_agent.original': 'curl/8.5.0',
  'network.protocol.version': '1.1',
  'http.request.header.x-request-id': [UUID],
};

const attributes: Case[] = [
  { name: 'server span attributes without secrets', method: 'attributes', input: spanAttributes },
  {
    name: 'url.query attribute',
    method: 'attributes',
    input: { 'url.path': '/login', 'url.query': 'user=bob&password=hunter2' },
    expected: { 'url.path': '/login', 'url.query': 'user=bob&password=REDACTED' },
  },
  {
    name: 'url.full with password, query and fragment',
    method: 'attributes',
    input: { 'url.full': 'https://app:pw@api.example.com/v1?api_key=abc&page=2#access_token=xyz' },
    expected: { 'url.full': `https://app:${m('password')}@api.example.com/v1?api_key=REDACTED&page=2#access_token=REDACTED` },
  },
  { name: 'url.full without secrets', method: 'attributes', input: { 'url.full': 'https://api.example.com/v1/orders?page=2', 'http.response.status_code': 200 } },
  {
    name: 'http.target with a token',
    method: 'attributes',
    input: { 'http.target': '/cb?code=abc&state=1' },
    expected: { 'http.target': '/cb?code=REDACTED&state=1' },
  },
  {
    name: 'request header attributes',
    method: 'attributes',
    input: { 'http.request.header.authorization': ['Bearer abc'], 'http.request.header.cookie': ['sid=1', 'theme=dark'], 'http.request.header.accept': ['*/*'] },
    expected: { 'http.request.header.authorization': [R], 'http.request.header.cookie': [R, R], 'http.request.header.accept': ['*/*'] },
  },
  {
    name: 'response set-cookie header attribute',
    method: 'attributes',
    input: { 'http.response.header.set-cookie': ['sid=abc; HttpOnly'], 'http.response.status_code': 200 },
    expected: { 'http.response.header.set-cookie': [R], 'http.response.status_code': 200 },
  },
  {
    name: 'exception.message with an email',
    method: 'attributes',
    input: { 'exception.type': 'Error', 'exception.message': 'no account for bob@example.com' },
    expected: { 'exception.type': 'Error', 'exception.message': `no account for ${m('email')}` },
  },
  {
    name: 'app attribute holding a token',
    method: 'attributes',
    input: { 'app.user.id': 42, 'app.auth.token': 'abc', 'app.feature': 'checkout' },
    expected: { 'app.user.id': 42, 'app.auth.token': R, 'app.feature': 'checkout' },
  },
  {
    name: 'array attribute with an email element',
    method: 'attributes',
    input: { 'app.recipients': ['ops', 'alice@example.com'] },
    expected: { 'app.recipients': ['ops', m('email')] },
  },
  {
    name: 'log attributes with nested map',
    method: 'attributes',
    input: { 'log.record': { user: { id: 1, password: 'x' } } },
    expected: { 'log.record': { user: { id: 1, password: R } } },
  },
  { name: 'gen_ai usage attributes', method: 'attributes', input: { 'gen_ai.usage.input_tokens': 120, 'gen_ai.usage.output_tokens': 40, 'gen_ai.request.max_tokens': 1024 } },
  { name: 'db attributes without secrets', method: 'attributes', input: { 'db.system.name': 'postgresql', 'db.query.text': 'SELECT * FROM orders WHERE id = $1', 'db.namespace': 'shop' } },
  {
    name: 'url.path with an email and a JWT',
    method: 'attributes',
    input: { 'url.path': `/users/bob@example.com/verify/${JWT}` },
    expected: { 'url.path': `/users/${m('email')}/verify/${m('jwt')}` },
  },
  {
    name: 'resource-like attributes without secrets',
    method: 'attributes',
    input: { 'k8s.pod.uid': UUID, 'k8s.pod.name': 'checkout-7f9c8d5b4-x2k9p', 'process.command_args': ['node', '--require', './preload', 'app.js'], 'service.instance.id': UUID },
  },
  {
    name: 'exception stacktrace without secrets',
    method: 'attributes',
    input: { 'exception.type': 'TypeError', 'exception.stacktrace': "TypeError: Cannot read properties of undefined (reading 'id')\n    at handler (/srv/app/routes/orders.js:42:17)\n    at Layer.handle (/srv/app/node_modules/express/lib/router/layer.js:95:5)" },
  },
  {
    name: 'db connection string attribute',
    method: 'attributes',
    input: { 'db.connection_string': 'postgres://app:hunter2@db:5432/shop' },
    expected: { 'db.connection_string': `postgres://app:${m('password')}@db:5432/shop` },
  },
];

// ---------------------------------------------------------------------------------------------
// Values of other kinds and log bodies.

class User {
  name: string;
  password: string;
  constructor(name: string, password: string) {
    this.name = name;
    this.password = password;
  }
  greet(): string {
    return `hi ${this.name}`;
  }
}

const values: Case[] = [
  { name: 'log body string with an email', method: 'value', input: 'welcome bob@example.com', expected: `welcome ${m('email')}` },
  { name: 'log body string without secrets', method: 'value', input: 'server started on port 3000' },
  { name: 'ordinary number', method: 'value', input: 12345 },
  { name: 'card number held as a number', method: 'value', input: { cc: 4111111111111111, amount: 10 }, expected: { cc: m('card'), amount: 10 } },
  { name: 'card number held as a bigint', method: 'value', input: [5555555555554444n], expected: [m('card')] },
  { name: 'millisecond timestamp number', method: 'value', input: { time: 1712345678907, n: 4111111111111112, big: 2 ** 60 } },
  { name: 'large float', method: 'value', input: { ratio: 4111111111111111.5e3 } },
  { name: 'boolean', method: 'value', input: true },
  { name: 'null', method: 'value', input: null },
  { name: 'undefined', method: 'value', input: undefined },
  { name: 'bigint', method: 'value', input: 4111111111111112n },
  { name: 'Buffer with secret-looking bytes is left alone', method: 'value', input: Buffer.from('password=hunter2 bob@example.com') },
  { name: 'Uint8Array is left alone', method: 'value', input: new Uint8Array([1, 2, 3]) },
  { name: 'object holding a Buffer', method: 'value', input: { body: Buffer.from('token=abc'), n: 1 } },
  { name: 'Date', method: 'value', input: new Date(0) },
  { name: 'array of plain strings', method: 'value', input: ['a', 'b', 'request completed'] },
  { name: 'array with an email', method: 'value', input: ['ok', 'bob@example.com', 3], expected: ['ok', m('email'), 3] },
  { name: 'Set with a token', method: 'value', input: new Set(['a', GHP]), expected: new Set(['a', m('github_token')]) },
  { name: 'Set without secrets', method: 'value', input: new Set(['a', 'b']) },
  {
    name: 'pino-style record without secrets',
    method: 'value',
    input: { level: 30, time: 1712345678901, pid: 4242, hostname: 'web-1', reqId: 'req-1', msg: 'request completed', req: { method: 'GET', url: '/api/orders/12345?page=2', headers: { host: 'shop:3000', 'user-agent': 'curl/8.5.0' } }, res: { statusCode: 200 }, responseTime: 12.4 },
  },
  {
    name: 'pino-style record with secrets',
    method: 'value',
    input: { level: 30, msg: 'login ok for bob@example.com', req: { url: '/login?token=abc', headers: { authorization: `Bearer ${JWT}`, host: 'shop' } } },
    expected: { level: 30, msg: `login ok for ${m('email')}`, req: { url: `/login?token=${R}`, headers: { authorization: R, host: 'shop' } } },
  },
  {
    name: 'winston-style meta',
    method: 'value',
    input: { message: 'charge failed', meta: { card: '4111 1111 1111 1111', amount: 12.5, customer: { email: 'x@example.com' } } },
    expected: { message: 'charge failed', meta: { card: m('card'), amount: 12.5, customer: { email: m('email') } } },
  },
  { name: 'class instance with a secret field', method: 'value', input: new User('bob', 'hunter2'), expected: Object.assign(Object.create(User.prototype) as object, { name: 'bob', password: R }) },
  { name: 'function is left alone', method: 'value', input: { fn: () => 'password=x' } },
  { name: 'symbol is left alone', method: 'value', input: { s: Symbol('token') } },
];

export const corpus: Case[] = [
  ...keyPositives,
  ...keyNegatives,
  ...keyShapes,
  ...stringPositives,
  ...stringNegatives,
  ...queries,
  ...attributes,
  ...values,
];
