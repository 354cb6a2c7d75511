/**
 * Edits the `instructors` list of an islet.yaml text, keeping every other
 * line, comment and key order as it was (the yaml Document API), so
 * `islet instructor add` never rewrites what an admin wrote by hand.
 *
 * Contract: adding a name already listed replaces its hash (a password
 * change); the result is valid YAML; a file that is not a mapping is refused.
 */
import { isMap, isSeq, parseDocument, YAMLMap } from 'yaml';

export function withInstructor(text: string, name: string, passwordHash: string): string {
  const doc = parseDocument(text);
  if (doc.errors.length) throw new Error(`islet.yaml does not parse: ${doc.errors[0]!.message}`);
  if (doc.contents === null) doc.contents = doc.createNode({}) as never;
  if (!isMap(doc.contents)) throw new Error('islet.yaml is not a mapping of options');
  let list = doc.get('instructors');
  if (list === undefined || list === null) {
    doc.set('instructors', doc.createNode([]));
    list = doc.get('instructors');
  }
  if (!isSeq(list)) throw new Error('islet.yaml: instructors is not a list');
  const entry = list.items.find((i) => isMap(i) && i.get('name') === name) as YAMLMap | undefined;
  if (entry) entry.set('password_hash', passwordHash);
  else list.add(doc.createNode({ name, password_hash: passwordHash }));
  return doc.toString();
}

/** The same text without `name` in `instructors` (unchanged when it is not listed). */
export function withoutInstructor(text: string, name: string): { text: string; removed: boolean } {
  const doc = parseDocument(text);
  const list = doc.get('instructors');
  if (!isSeq(list)) return { text, removed: false };
  const i = list.items.findIndex((x) => isMap(x) && x.get('name') === name);
  if (i < 0) return { text, removed: false };
  list.delete(i);
  return { text: doc.toString(), removed: true };
}
