/** Text for a terminal: control characters (escape sequences, carriage returns, C1 codes) shown as \xHH, so no input can move the cursor or recolour the screen. */
export function visible(text: string, keepNewlines = true): string {
  // eslint-disable-next-line no-control-regex
  return text.replace(/[\u0000-\u0008\u000b-\u001f\u007f-\u009f]|\n/g, (c) => (c === '\n' ? (keepNewlines ? c : '\\n') : `\\x${c.charCodeAt(0).toString(16).padStart(2, '0')}`));
}
