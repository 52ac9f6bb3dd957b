/** Looking into the `aws-ses-v2-local` emulator of the run's stack: what it holds, and emptying it. */

/** Empties the emulator's mailbox, so every measurement starts against the same, empty emulator. */
export async function clearEmulator(sesEndpoint: string) {
  const response = await fetch(`${sesEndpoint}/clear-store`, { method: 'POST' });
  if (!response.ok) throw new Error(`the SES emulator did not clear its store: ${response.status}`);
}

/**
 * How many emails the emulator holds, counted on the streamed `GET /store` answer (one `"messageId":"`
 * per email) without parsing it, so ten thousand emails do not swell this process's memory.
 */
export async function countEmulatorEmails(sesEndpoint: string): Promise<number> {
  const marker = '"messageId":"';
  const response = await fetch(`${sesEndpoint}/store`);
  if (!response.ok || response.body === null) throw new Error(`GET /store answered ${response.status}`);
  const decoder = new TextDecoder();
  let count = 0;
  let tail = '';
  for await (const chunk of response.body) {
    const text = tail + decoder.decode(chunk, { stream: true });
    for (let at = text.indexOf(marker); at !== -1; at = text.indexOf(marker, at + marker.length)) count++;
    const cut = text.length - (marker.length - 1);
    // Keep a partial marker for the next chunk, but never a whole one (it was counted).
    tail = text.slice(Math.max(cut, text.lastIndexOf(marker) + marker.length, 0));
  }
  return count;
}
