export type JsonValue =
  null | boolean | number | string | readonly JsonValue[] | { readonly [key: string]: JsonValue };

/** A fact that happened: plain JSON, tagged by `type`, stored as it is and never rewritten. */
export interface Event<Type extends string = string, Data extends object = object> {
  readonly type: Type;
  readonly data: Data;
}

/** An intention: plain data, tagged by `type`. Time and fresh ids arrive inside it, gathered by the caller. */
export interface Command<Type extends string = string, Data extends object = object> {
  readonly type: Type;
  readonly data: Data;
}
