/** The State Treasury (Kho bạc Nhà nước) as a beneficiary institution (Art 33.4). */
export const STATE_TREASURY = 'KBNN';

export interface Beneficiary {
  kind: 'bank' | 'treasury';
  institution: string;
}

/**
 * Art 33.4: the agency's beneficiary account is held "tại ngân hàng hoặc kho bạc nhà nước". A
 * beneficiary is the State Treasury (`KBNN`) or a bank in the Portal's register (kind `bank`; a
 * payment intermediary holds no beneficiary accounts). Its suspension does not matter (Art 33.7
 * stops a bank *providing* the payment service, not receiving transfers). Returns why not, or
 * undefined when the beneficiary is acceptable.
 */
export function beneficiaryProblem(beneficiary: Beneficiary, registered: { kind: string } | undefined): string | undefined {
  if (beneficiary.kind === 'treasury') {
    return beneficiary.institution === STATE_TREASURY ? undefined : `a Treasury beneficiary is the State Treasury '${STATE_TREASURY}', not '${beneficiary.institution}'`;
  }
  if (beneficiary.institution === STATE_TREASURY) return `'${STATE_TREASURY}' is the State Treasury: use kind 'treasury'`;
  if (!registered) return `bank '${beneficiary.institution}' is not in the Portal's bank register`;
  if (registered.kind !== 'bank') return `'${beneficiary.institution}' is registered as ${registered.kind}, not as a bank holding beneficiary accounts`;
  return undefined;
}
