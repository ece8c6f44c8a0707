// mapDbError: driver errors become classes callers can test for, other errors pass through.
import { describe, expect, it } from 'vitest';
import {
  AuditAppendOnlyError,
  AuditConflictError,
  mapDbError,
  SqlConnectionError,
  SqlError,
} from '../../../db/errors.js';

const withCode = (message: string, code: string) => Object.assign(new Error(message), { code });

describe('mapDbError', () => {
  it('maps the append-only SQLSTATE', () => {
    const mapped = mapDbError(withCode('refused', 'AL001'));
    expect(mapped).toBeInstanceOf(AuditAppendOnlyError);
    expect(mapped).toMatchObject({ code: 'AL001', message: 'refused' });
  });

  it('keeps other SQLSTATEs and the constraint name', () => {
    const err = Object.assign(withCode('dup', '23505'), { constraint: 'audit_events_hash_key' });
    expect(mapDbError(err)).toMatchObject({
      name: 'SqlError',
      code: '23505',
      constraint: 'audit_events_hash_key',
    });
    expect(mapDbError(withCode('admin shutdown', '57P01'))).toBeInstanceOf(SqlConnectionError);
  });

  it('recognizes connection failures', () => {
    expect(mapDbError(withCode('connect ECONNREFUSED', 'ECONNREFUSED'))).toBeInstanceOf(SqlConnectionError);
    expect(mapDbError(new Error('timeout exceeded when trying to connect'))).toBeInstanceOf(
      SqlConnectionError,
    );
  });

  it('passes other errors through untouched', () => {
    const conflict = new AuditConflictError('r', 'k', ['data']);
    expect(mapDbError(conflict)).toBe(conflict);
    const plain = new Error('a connection to the approver failed');
    expect(mapDbError(plain)).toBe(plain);
    const already = new SqlError('x', '42P01', undefined);
    expect(mapDbError(already)).toBe(already);
    expect(mapDbError('string')).toBe('string');
  });
});
