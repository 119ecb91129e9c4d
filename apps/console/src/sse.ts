/** Server-Sent Events parsing (the WHATWG rules the API's log stream needs: event, data, id). */
export interface SseEvent {
  event: string;
  data: string;
  id: string | undefined;
}

/** Feed it decoded text as it arrives; it returns the events completed by that text. */
export class SseParser {
  private buf = '';

  push(text: string): SseEvent[] {
    this.buf += text.replace(/\r\n?/g, '\n');
    const out: SseEvent[] = [];
    let end = this.buf.indexOf('\n\n');
    while (end !== -1) {
      const block = this.buf.slice(0, end);
      this.buf = this.buf.slice(end + 2);
      const ev = parseBlock(block);
      if (ev) out.push(ev);
      end = this.buf.indexOf('\n\n');
    }
    return out;
  }
}

function parseBlock(block: string): SseEvent | undefined {
  let event = 'message';
  let id: string | undefined;
  const data: string[] = [];
  let any = false;
  for (const line of block.split('\n')) {
    if (line === '' || line.startsWith(':')) continue;
    const i = line.indexOf(':');
    const field = i === -1 ? line : line.slice(0, i);
    const value = i === -1 ? '' : line.slice(i + 1).replace(/^ /, '');
    if (field === 'event') event = value;
    else if (field === 'data') {
      data.push(value);
      any = true;
    } else if (field === 'id') id = value;
  }
  return any ? { event, data: data.join('\n'), id } : undefined;
}
