import { RESOLVE_FUNCTION } from "./registry-shell";

/**
 * The tag step: the provider pushes each image by digest only (no tag), and this script gives the
 * pushed index its tags afterwards, so whatever the provider decides to rebuild, no tag is pushed by it.
 * It holds the one rule a tag push can break: the timestamped tag (`PINNED_TAG`) names one build and
 * never moves. If it already names another digest, the script fails and tags nothing; the rolling tags
 * (`17.12-minimal-trixie`, `17-minimal-trixie`) move to the new digest, as rolling tags do.
 *
 * Environment: IMAGE_REF (`REPO@sha256:…`), DIGEST, PINNED_TAG, TAGS (every tag, one per line, the
 * pinned one among them). Prints DIGEST once every tag resolves to it. Needs `docker buildx imagetools`.
 * `imagetools create` with one source and no annotations pushes the index unchanged (same digest).
 */
export const TAG_ENV = { imageRef: "IMAGE_REF", digest: "DIGEST", pinned: "PINNED_TAG", tags: "TAGS" } as const;

export const TAG_SCRIPT = [
  "set -eu",
  `case "$${TAG_ENV.imageRef}" in *@"$${TAG_ENV.digest}") ;; *) echo "tag: IMAGE_REF $${TAG_ENV.imageRef} does not name DIGEST $${TAG_ENV.digest}" >&2; exit 2 ;; esac`,
  `[ -n "$${TAG_ENV.pinned}" ] || { echo "tag: PINNED_TAG is empty" >&2; exit 2; }`,
  RESOLVE_FUNCTION,
  "retry() { n=1; until \"$@\"; do [ \"$n\" -lt 3 ] || return 1; n=$((n + 1)); sleep 2; done; }",
  `got=$(resolve "$${TAG_ENV.pinned}" 2>&1) || { echo "tag: $got" >&2; exit 1; }`,
  `if [ -n "$got" ] && [ "$got" != "$${TAG_ENV.digest}" ]; then`,
  `  echo "tag: $${TAG_ENV.pinned} already names $got, and this build is $${TAG_ENV.digest}; a timestamped tag never moves to other content, so nothing was tagged. Bump postgres-images:rebuildEpoch to give the cell a new build time." >&2`,
  "  exit 1",
  "fi",
  "while IFS= read -r tag; do",
  '  [ -n "$tag" ] || continue',
  `  retry docker buildx imagetools create --prefer-index=false --tag "$tag" "$${TAG_ENV.imageRef}" </dev/null >&2 || { echo "tag: pushing $tag failed 3 times" >&2; exit 1; }`,
  '  got=$(resolve "$tag")',
  `  [ "$got" = "$${TAG_ENV.digest}" ] || { echo "tag: $tag resolves to \${got:-nothing}, not $${TAG_ENV.digest}" >&2; exit 1; }`,
  "done <<EOF",
  `$${TAG_ENV.tags}`,
  "EOF",
  `printf '%s\\n' "$${TAG_ENV.digest}"`,
].join("\n");

/**
 * The tag step's refresh check (resources/step.ts `check`), same environment: one line for each way
 * the registry no longer agrees with the step, nothing when it does. The image itself gone (deleted
 * by digest), a tag missing, a tag naming other content: the step then runs again, which points the
 * rolling tags back at DIGEST and refuses (fails, naming both digests) a timestamped tag that names
 * other content.
 */
export const TAG_CHECK_SCRIPT = [
  "set -eu",
  RESOLVE_FUNCTION,
  `got=$(resolve "$${TAG_ENV.imageRef}")`,
  `if [ -z "$got" ]; then echo "$${TAG_ENV.imageRef} is not in the registry any more"; exit 0; fi`,
  "while IFS= read -r tag; do",
  '  [ -n "$tag" ] || continue',
  '  got=$(resolve "$tag")',
  `  if [ -z "$got" ]; then echo "$tag is missing"; elif [ "$got" != "$${TAG_ENV.digest}" ]; then echo "$tag names $got, not $${TAG_ENV.digest}"; fi`,
  "done <<EOF",
  `$${TAG_ENV.tags}`,
  "EOF",
].join("\n");
