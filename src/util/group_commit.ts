/**
 * Group commit: work submitted while a commit is running joins the next commit, so many
 * callers share one transaction (one fsync). Each caller is answered with its own outcome;
 * the committer decides how a failure of the group is attributed (e.g. by retrying each
 * item alone).
 */

interface Waiting<T> {
  readonly item: T;
  readonly resolve: () => void;
  readonly reject: (err: unknown) => void;
}

/** Commits items in groups: `commit` returns, per item, undefined (done) or its error. */
export class GroupCommit<T> {
  readonly #commit: (items: readonly T[]) => Promise<readonly (unknown | undefined)[]>;
  readonly #maxGroup: number;
  #queue: Waiting<T>[] = [];
  #draining: Promise<void> | undefined;

  /** `maxGroup` bounds how many items share one commit (default 256). */
  constructor(
    commit: (items: readonly T[]) => Promise<readonly (unknown | undefined)[]>,
    maxGroup = 256,
  ) {
    if (!Number.isSafeInteger(maxGroup) || maxGroup < 1) throw new RangeError("Invalid maxGroup");
    this.#commit = commit;
    this.#maxGroup = maxGroup;
  }

  /** Resolves once `item` is committed; rejects with its own error. */
  submit(item: T): Promise<void> {
    return new Promise((resolve, reject) => {
      this.#queue.push({ item, resolve, reject });
      this.#draining ??= this.#drain();
    });
  }

  async #drain(): Promise<void> {
    // Let submissions of the same tick join the first group.
    await Promise.resolve();
    try {
      while (this.#queue.length > 0) {
        const group = this.#queue.splice(0, this.#maxGroup);
        let outcomes: readonly (unknown | undefined)[];
        try {
          outcomes = await this.#commit(group.map((w) => w.item));
        } catch (err) {
          for (const w of group) w.reject(err);
          continue;
        }
        group.forEach((w, i) => {
          const err = outcomes[i];
          if (err === undefined) w.resolve();
          else w.reject(err);
        });
      }
    } finally {
      this.#draining = undefined;
    }
  }
}
