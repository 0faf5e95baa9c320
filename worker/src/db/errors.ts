export class NoDatabaseError extends Error {
  override name = 'NoDatabaseError';
  constructor() {
    super(
      'No MongoDB-compatible database is available. Do one of: ' +
        '(1) set MONGODB_URI to a MongoDB server (mongodb://… or mongodb+srv://…); ' +
        '(2) put a `mongod` binary on PATH; ' +
        '(3) install Go (https://go.dev/dl/) so FerretDB v1.24.2 can be built once into the cache folder.',
    );
  }
}
