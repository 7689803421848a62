/** Who is calling: the account a key belongs to, and whether it is an admin key. */
export interface Principal {
  account: string;
  admin: boolean;
  keyId: string;
}

/** Whether `p` may see and change things owned by `account`. */
export const canAccess = (p: Principal | undefined, account: string): boolean =>
  !!p && (p.admin || p.account === account);
