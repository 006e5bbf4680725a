/**
 * What a stack exports for each cell in its `images` output: the contract between a testing stack,
 * the production stack that promotes from it, CI's smoke tests and consumers.
 */
export interface ImageOutput {
  /** The pushed index digest, `sha256:…`. */
  readonly digest: string;
  /** `REPO@sha256:…`: by digest, never by a tag that may move. */
  readonly ref: string;
  readonly tags: readonly string[];
  readonly platforms: readonly string[];
}
