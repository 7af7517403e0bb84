export { htpasswd, type Htpasswd, type HtpasswdOptions } from './htpasswd';
export { htdigest, type Htdigest, type HtdigestOptions } from './htdigest';
export type { PasswordFileOptions } from './options';
export type { PathSource } from './file-set';
