/** Fleet scale benchmark: placeholder until the SSH transport lands (filled in below). */
export async function fleet(_args: Record<string, string>): Promise<unknown> {
  return { skipped: 'not written yet' };
}
