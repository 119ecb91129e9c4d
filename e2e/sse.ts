/** A minimal Server-Sent Events reader over fetch, for tests. */
export interface SseEvent {
  event: string;
  data: string;
  id?: string;
}

export async function* readSse(res: Response): AsyncGenerator<SseEvent> {
  if (!res.body) throw new Error('no body');
  const decoder = new TextDecoder();
  let buf = '';
  for await (const chunk of res.body) {
    buf += decoder.decode(chunk, { stream: true });
    let end = buf.indexOf('\n\n');
    while (end !== -1) {
      const block = buf.slice(0, end);
      buf = buf.slice(end + 2);
      const ev: SseEvent = { event: 'message', data: '' };
      const data: string[] = [];
      for (const line of block.split('\n')) {
        const i = line.indexOf(':');
        if (i <= 0) continue;
        const field = line.slice(0, i);
        const value = line.slice(i + 1).replace(/^ /, '');
        if (field === 'event') ev.event = value;
        else if (field === 'data') data.push(value);
        else if (field === 'id') ev.id = value;
      }
      ev.data = data.join('\n');
      yield ev;
      end = buf.indexOf('\n\n');
    }
  }
}
