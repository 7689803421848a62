import { describe, expect, it } from 'vitest';
import { newOwnerId, ownerState } from './owner-id.js';

describe('owner ids', () => {
  it('carry the pid of the process that owns the subtree', () => {
    expect(newOwnerId('inv')).toMatch(new RegExp(`^inv-${process.pid}-[0-9a-f]{8}$`));
    expect(newOwnerId('test', 42)).toMatch(/^test-42-[0-9a-f]{8}$/);
  });

  it('judge an owner alive by its pid, dead when no such process exists', () => {
    expect(ownerState(newOwnerId('test'))).toBe('alive');
    expect(ownerState('inv-1-abc')).toBe('alive');
    expect(ownerState('test-999999999-gone')).toBe('dead');
    expect(ownerState('inv-4194303-x')).toBe('dead');
  });

  it('never judge names that are not owner ids', () => {
    expect(ownerState('system.slice')).toBe('unknown');
    expect(ownerState('inv-0-abc')).toBe('unknown');
    expect(ownerState('inv-12')).toBe('unknown');
  });
});
