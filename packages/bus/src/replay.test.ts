import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { DEAD_LETTER_HEADERS as H } from './dead-letters.ts';
import { NotReplayable, planReplay, type StoredLetter } from './replay.ts';

const enc = (v: unknown) => new TextEncoder().encode(typeof v === 'string' ? v : JSON.stringify(v));
const letter = (headers: Record<string, string>, payload: unknown, seq = 7): StoredLetter => ({
  seq,
  headers,
  data: enc(payload),
});

describe('planReplay', () => {
  it('a submission: keeps its key, loses the redacted credential and the dead-letter headers', () => {
    const plan = planReplay(
      'po',
      letter(
        {
          [H.subject]: 'po.intake.submit.acme',
          [H.reason]: 'InvalidConfig: api_key',
          [H.redacted]: 'true',
          [H.msgId]: 'order-1',
          'Nats-Msg-Id': 'dlq:PO_INTAKE:12',
          traceparent: '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01',
        },
        { pipeline_type: 'DataProcessing', api_key: '[REDACTED]', config: { token: '[REDACTED]', a: 1 } },
      ),
    );
    assert.deepEqual(plan, {
      subject: 'po.intake.submit.acme',
      messageId: 'order-1',
      publishId: 'replay:7:order-1',
      data: JSON.stringify({ pipeline_type: 'DataProcessing', config: { a: 1 } }),
      headers: {
        traceparent: '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01',
        [H.msgId]: 'order-1',
        [H.replayOf]: '7',
      },
    });
  });

  it("a command without the id header keeps its envelope's id", () => {
    const envelope = { id: 'msg-42', type: 'job.create', pipelineId: 'p', attempt: 1, data: {} };
    const plan = planReplay('po', letter({ [H.subject]: 'po.cmd.job.create' }, envelope, 3));
    assert.equal(plan.subject, 'po.cmd.job.create');
    assert.equal(plan.messageId, 'msg-42');
    assert.equal(plan.publishId, 'replay:3:msg-42');
    assert.deepEqual(JSON.parse(plan.data), envelope);
  });

  const refusals: { name: string; letter: StoredLetter; why: RegExp }[] = [
    { name: 'no original subject', letter: letter({}, { id: 'x' }), why: /original subject/ },
    {
      name: 'a request/reply message',
      letter: letter({ [H.subject]: 'po.api.create.acme' }, { id: 'x' }),
      why: /request\/reply/,
    },
    {
      name: "another prefix's subject",
      letter: letter({ [H.subject]: 'other.cmd.job.create' }, { id: 'x' }),
      why: /not a stream's subject/,
    },
    {
      name: 'a copy that was cut',
      letter: letter({ [H.subject]: 'po.cmd.job.create', [H.truncated]: '9000' }, { id: 'x' }),
      why: /cut from 9000 bytes/,
    },
    {
      name: 'not JSON',
      letter: letter({ [H.subject]: 'po.intake.submit.acme', [H.msgId]: 'k' }, 'not json'),
      why: /not JSON/,
    },
    {
      name: 'no id to keep',
      letter: letter({ [H.subject]: 'po.intake.submit.acme' }, { pipeline_type: 'x' }),
      why: /no message id/,
    },
  ];
  for (const c of refusals) {
    it(`refuses: ${c.name}`, () => {
      assert.throws(
        () => planReplay('po', c.letter),
        (e: unknown) => e instanceof NotReplayable && c.why.test(e.message),
      );
    });
  }
});
