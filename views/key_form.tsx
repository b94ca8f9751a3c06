/**
 * The Create key form of the Keys page: name, algorithm, usage, tags and dual control,
 * with each validation error next to its field (`aria-invalid`, `aria-describedby`). It
 * is also the fragment answered to an htmx submission that fails validation.
 */

import { CsrfField, FieldError } from "./components.tsx";
import type { KeyVocabulary } from "./keys.tsx";
import type { View } from "./view.ts";

/** Field names of the create form. */
export type CreateField = "name" | "algorithm" | "usage" | "tags" | "dual_control";

/** The create form with the values typed and their errors. */
export interface CreateKeyModel {
  readonly values: {
    readonly name: string;
    readonly algorithm: string;
    readonly usage: readonly string[];
    readonly tags: string;
    readonly dualControl: boolean;
  };
  readonly errors: Readonly<Partial<Record<CreateField | "form", string>>>;
  readonly csrfToken: string;
}

/** The Create key form (also the fragment answered after a submission). */
export function CreateKeyForm(
  props: { model: CreateKeyModel; vocabulary: KeyVocabulary },
): View {
  const { values, errors, csrfToken } = props.model;
  const invalid = (field: CreateField) => errors[field] === undefined ? undefined : "true";
  const described = (field: CreateField, hint?: string) => {
    const ids = [hint, errors[field] === undefined ? undefined : `create-${field}-error`]
      .filter((x) => x !== undefined);
    return ids.length === 0 ? undefined : ids.join(" ");
  };
  return (
    <form
      id="create-key"
      class="panel"
      method="post"
      action="/ui/keys"
      hx-post="/ui/keys"
      hx-target="this"
      hx-swap="outerHTML"
      aria-labelledby="create-title"
      novalidate
    >
      <h2 id="create-title">Create key</h2>
      <CsrfField token={csrfToken} />
      {errors.form === undefined
        ? null
        : (
          <div class="notice error" role="alert" data-autofocus tabindex={-1}>
            <p>{errors.form}</p>
          </div>
        )}
      <div class="field">
        <label for="create-name">Name</label>
        <input
          type="text"
          id="create-name"
          name="name"
          value={values.name}
          required
          maxlength={128}
          autocomplete="off"
          aria-invalid={invalid("name")}
          aria-describedby={described("name")}
        />
        <FieldError id="create-name-error" message={errors.name} />
      </div>
      <div class="field">
        <label for="create-algorithm">Algorithm</label>
        <select
          id="create-algorithm"
          name="algorithm"
          required
          aria-invalid={invalid("algorithm")}
          aria-describedby={described("algorithm")}
        >
          <option value="" selected={values.algorithm === ""}>Choose an algorithm</option>
          {props.vocabulary.algorithms.map((a) => (
            <option value={a} selected={a === values.algorithm}>{a}</option>
          ))}
        </select>
        <FieldError id="create-algorithm-error" message={errors.algorithm} />
      </div>
      <fieldset aria-describedby={described("usage", "create-usage-hint")}>
        <legend>Usage</legend>
        <p id="create-usage-hint" class="hint">Leave all unticked for the algorithm's defaults.</p>
        <div class="checks">
          {props.vocabulary.usages.map((u) => (
            <label class="check">
              <input type="checkbox" name="usage" value={u} checked={values.usage.includes(u)} />
              {u}
            </label>
          ))}
        </div>
        <FieldError id="create-usage-error" message={errors.usage} />
      </fieldset>
      <div class="field">
        <label for="create-tags">Tags</label>
        <textarea
          id="create-tags"
          name="tags"
          rows={3}
          aria-invalid={invalid("tags")}
          aria-describedby={described("tags", "create-tags-hint")}
        >
          {values.tags}
        </textarea>
        <p id="create-tags-hint" class="hint">One key=value per line, e.g. env=prod.</p>
        <FieldError id="create-tags-error" message={errors.tags} />
      </div>
      <div class="field">
        <label class="check">
          <input
            type="checkbox"
            name="dual_control"
            value="on"
            checked={values.dualControl}
            aria-describedby="create-dual-hint"
          />
          Dual control
        </label>
        <p id="create-dual-hint" class="hint">
          The key stays staged until another administrator approves it.
        </p>
      </div>
      <button type="submit">Create key</button>
    </form>
  );
}
