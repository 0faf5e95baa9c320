/**
 * Base class of every error the domain core throws, so an adapter can map the
 * whole family to a response in one place and still branch on the subclass.
 */
export class DomainError extends Error {
  override readonly name: string = 'DomainError';
}
