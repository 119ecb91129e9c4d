/** How the CLI writes: tables for people, JSON for programs, a spinner only on a terminal. */
export interface Out {
  write(s: string): unknown;
  isTTY?: boolean | undefined;
}

export interface Io {
  stdout: Out;
  stderr: Out;
  env: Record<string, string | undefined>;
  /** Reads a file named on the command line (relative to the working directory). */
  readFile(path: string): string;
}

/** Columns padded to their widest cell; the last column is not padded. */
export function table(headers: string[], rows: (string | number | null | undefined)[][]): string {
  const cells = [headers, ...rows.map((r) => r.map((c) => (c === null || c === undefined ? '' : String(c))))];
  const widths = headers.map((_, i) => Math.max(...cells.map((r) => (r[i] ?? '').length)));
  return cells
    .map((r) =>
      r
        .map((c, i) => (i === r.length - 1 ? c : c.padEnd(widths[i] ?? 0)))
        .join('  ')
        .trimEnd(),
    )
    .join('\n')
    .concat('\n');
}

export function json(value: unknown): string {
  return `${JSON.stringify(value, null, 2)}\n`;
}

const FRAMES = ['⠋', '⠙', '⠹', '⠸', '⠼', '⠴', '⠦', '⠧', '⠇', '⠏'];

/**
 * A long wait's progress on stderr: on a terminal a spinner line redrawn in place with the elapsed
 * time; otherwise one plain line per change (logs and CI stay readable).
 */
export class Progress {
  readonly #out: Out;
  readonly #started = Date.now();
  #text = '';
  #frame = 0;
  #timer: NodeJS.Timeout | undefined;

  constructor(out: Out) {
    this.#out = out;
    if (out.isTTY) {
      this.#timer = setInterval(() => this.#draw(), 100);
      this.#timer.unref();
    }
  }

  update(text: string): void {
    if (text === this.#text) return;
    this.#text = text;
    if (this.#out.isTTY) this.#draw();
    else this.#out.write(`${new Date().toISOString()} ${text}\n`);
  }

  /** Clears the spinner (a terminal keeps the final line). */
  done(): void {
    if (this.#timer) clearInterval(this.#timer);
    if (this.#out.isTTY) this.#out.write(`\r\x1b[2K`);
  }

  #draw(): void {
    const s = Math.round((Date.now() - this.#started) / 1000);
    this.#frame = (this.#frame + 1) % FRAMES.length;
    this.#out.write(`\r\x1b[2K${FRAMES[this.#frame]} ${this.#text} (${s}s)`);
  }
}
