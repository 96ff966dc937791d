/**
 * @nestjs/swagger writes OpenAPI 3.0 schemas; 3.1 uses JSON Schema 2020-12. The only 3.0-isms it
 * produces from our decorators are `nullable` and boolean `exclusiveMinimum/Maximum`; they are
 * rewritten here, recursively, in place.
 */
export function toJsonSchema2020(node: unknown): void {
  if (Array.isArray(node)) return node.forEach(toJsonSchema2020);
  if (typeof node !== 'object' || node === null) return;
  const schema = node as Record<string, unknown>;
  for (const value of Object.values(schema)) toJsonSchema2020(value);
  if (schema.nullable === true) {
    if (typeof schema.type === 'string') schema.type = [schema.type, 'null'];
    else if (Array.isArray(schema.enum)) schema.enum = [...schema.enum, null];
    else if (typeof schema.$ref === 'string') {
      schema.oneOf = [{ $ref: schema.$ref }, { type: 'null' }];
      delete schema.$ref;
    }
  }
  delete schema.nullable;
  for (const [bound, limit] of [['exclusiveMinimum', 'minimum'], ['exclusiveMaximum', 'maximum']] as const) {
    if (typeof schema[bound] === 'boolean') {
      if (schema[bound]) schema[bound] = schema[limit];
      else delete schema[bound];
      if (schema[bound] !== undefined) delete schema[limit];
    }
  }
}
