import { isRecord } from '../core/validate.ts';

/**
 * A one-line rendering of any algorithm message for the dashboard's feed: its type followed by
 * its fields, with ballots written as round.node. Generic so that every algorithm's messages
 * show up without per-algorithm UI code.
 */
export function summarizeMessage(message: unknown): { kind: string; summary: string } {
  if (!isRecord(message)) return { kind: '?', summary: '?' };
  const kind = typeof message.type === 'string' ? message.type : '?';
  const parts = Object.entries(message)
    .filter(([key]) => key !== 'type')
    .map(([key, value]) => `${key} ${renderField(value)}`);
  return { kind, summary: [kind, ...parts].join(' ').slice(0, 160) };
}

function renderField(value: unknown): string {
  if (value === undefined || value === null) return '—';
  if (typeof value === 'string' || typeof value === 'number' || typeof value === 'boolean') return String(value);
  if (isRecord(value) && typeof value.round === 'number' && typeof value.node === 'string') {
    return `${value.round}.${value.node}`;
  }
  if (isRecord(value)) {
    return `{${Object.entries(value)
      .map(([k, v]) => `${k}: ${renderField(v)}`)
      .join(', ')}}`;
  }
  return JSON.stringify(value) ?? '?';
}
