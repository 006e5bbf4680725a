import type { StepScriptName } from "./step-script";

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

/** scripts/steps/tag.sh */
export const TAG_SCRIPT: StepScriptName = "tag";

/**
 * The tag step's refresh check (resources/step.ts `check`), same environment: one line for each way
 * the registry no longer agrees with the step, nothing when it does. The image itself gone (deleted
 * by digest), a tag missing, a tag naming other content: the step then runs again, which points the
 * rolling tags back at DIGEST and refuses (fails, naming both digests) a timestamped tag that names
 * other content.
 */
/** scripts/steps/check-tags.sh, also the promote step's check (on the production reference). */
export const TAG_CHECK_SCRIPT: StepScriptName = "check-tags";
