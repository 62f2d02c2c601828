/** Why `store copy` refused or stopped; nothing was written to the target when it is thrown. */
export type StoreCopyErrorCode =
  | 'ERR_COPY_SOURCE_MISSING'
  | 'ERR_COPY_SOURCE_VERSION'
  | 'ERR_COPY_SOURCE_CHAIN'
  | 'ERR_COPY_TARGET_UNREACHABLE'
  | 'ERR_COPY_TARGET_NOT_EMPTY'
  | 'ERR_COPY_TARGET_MISMATCH';

/** A refusal of the copy with a stable code (tests and callers switch on it) and a message for the operator. */
export class StoreCopyError extends Error {
  override readonly name = 'StoreCopyError';

  constructor(readonly code: StoreCopyErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
  }
}
