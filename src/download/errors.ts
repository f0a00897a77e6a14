/** A download that did not produce a verified file. The message is one line: URL, destination, what to do. */
export class DownloadError extends Error {
  override name = 'DownloadError';
  constructor(
    message: string,
    readonly url: string,
    readonly destination: string,
    readonly reason: string,
  ) {
    super(message);
  }
}
