// The two Apache hash packages ship no types; only their single export is used.
declare module 'apache-md5' {
  /** APR1-MD5 of `password` with the salt taken from `salt` (a full `$apr1$salt$hash` value works). */
  function apacheMd5(password: string, salt?: string): string;
  export = apacheMd5;
}
declare module 'apache-crypt' {
  /** crypt(3) DES of `password` with the salt taken from `salt` (a full 13-character hash works). */
  function apacheCrypt(password: string, salt?: string): string;
  export = apacheCrypt;
}
