import assert from 'node:assert/strict';
import { test } from 'node:test';
import { planLogRows, truncationMarker } from './log-plan.ts';

const at = (s: number) => new Date(s * 1000);
const lines = (...t: string[]) => t.map((line, i) => ({ ts: at(i + 1), line }));

test('planLogRows: which rows a capture or a follower stores', () => {
  const cases: {
    name: string;
    pods: { podName: string; offset: number; lines: { ts: Date | null; line: string }[] }[];
    stored?: [string, number][];
    room: number;
    want: { rows: [string, string][]; bytes: number; truncated: boolean };
  }[] = [
    {
      name: 'every pod, in order, nothing stored yet',
      pods: [
        { podName: 'a', offset: 0, lines: lines('a1', 'a2') },
        { podName: 'b', offset: 0, lines: lines('b1') },
      ],
      room: 100,
      want: {
        rows: [
          ['a', 'a1'],
          ['a', 'a2'],
          ['b', 'b1'],
        ],
        bytes: 6,
        truncated: false,
      },
    },
    {
      name: 'lines a pod already has stored are skipped',
      pods: [
        { podName: 'a', offset: 0, lines: lines('a1', 'a2', 'a3') },
        { podName: 'b', offset: 0, lines: lines('b1') },
      ],
      stored: [
        ['a', 2],
        ['b', 1],
      ],
      room: 100,
      want: { rows: [['a', 'a3']], bytes: 2, truncated: false },
    },
    {
      name: 'an append from an offset overlapping what is stored',
      pods: [{ podName: 'a', offset: 1, lines: lines('a2', 'a3') }],
      stored: [['a', 2]],
      room: 100,
      want: { rows: [['a', 'a3']], bytes: 2, truncated: false },
    },
    {
      name: 'a gap (offset beyond what is stored) stores nothing',
      pods: [{ podName: 'a', offset: 3, lines: lines('a4') }],
      stored: [['a', 1]],
      room: 100,
      want: { rows: [], bytes: 0, truncated: false },
    },
    {
      name: 'the cap: what fits, one marker, nothing of later pods',
      pods: [
        { podName: 'a', offset: 0, lines: lines('a1', 'a2') },
        { podName: 'b', offset: 0, lines: lines('b1') },
      ],
      room: 3,
      want: {
        rows: [
          ['a', 'a1'],
          ['a', truncationMarker(10)],
        ],
        bytes: 2,
        truncated: true,
      },
    },
    {
      name: 'NUL bytes are stored as U+FFFD and counted as such',
      pods: [{ podName: 'a', offset: 0, lines: lines('x\0') }],
      room: 100,
      want: { rows: [['a', 'x\uFFFD']], bytes: 4, truncated: false },
    },
  ];
  for (const c of cases) {
    const plan = planLogRows({
      pipelineId: 'p',
      attempt: 1,
      pods: c.pods,
      stored: new Map(c.stored ?? []),
      room: c.room,
      capBytes: 10,
    });
    assert.deepEqual(
      {
        rows: plan.rows.map((r) => [r.pod_name, r.line]),
        bytes: plan.bytes,
        truncated: plan.truncated,
      },
      c.want,
      c.name,
    );
  }
});

test('planLogRows: the marker carries the time of the last line kept, else of the first left out', () => {
  const plan = (room: number) =>
    planLogRows({
      pipelineId: 'p',
      attempt: 1,
      pods: [{ podName: 'a', offset: 0, lines: lines('a1', 'a2') }],
      stored: new Map(),
      room,
      capBytes: 10,
    }).rows.at(-1)?.ts;
  assert.deepEqual(plan(2), at(1));
  assert.deepEqual(plan(0), at(1));
});
