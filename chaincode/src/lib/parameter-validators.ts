/**
 * Compiles each transaction parameter's JSON schema once, not on every transaction.
 *
 * fabric-shim 2.5.8 (the latest) turns a transaction's arguments into values in
 * `DataMarshall.handleParameters`, which, for every parameter of every transaction, builds a
 * schema holding the parameter's type and every component schema of the contracts, asks ajv to
 * compile it (ajv finds its cached validator only after a stable stringification of that whole
 * schema), and stringifies the argument and the schema for debug log lines whatever the log
 * level. Profiled over `Access:RecordAccess`, that was about 60 % of the contract API's time per
 * transaction. This module keeps one compiled validator per parameter of the metadata (the
 * metadata objects live as long as the chaincode) and runs the same deserialisation and the
 * same validation, with the same error messages; what it leaves out are those debug lines.
 */
import DataMarshall from 'fabric-shim/lib/contract-spi/datamarshall';

type Validator = ReturnType<DataMarshall['ajv']['compile']>;
/** The parameters of a transaction function in the contract metadata. */
type ParameterList = readonly { readonly schema: { readonly type?: string; readonly $ref?: string } }[];

/** A parameter's schema as fabric-shim builds it, with its compiled validator. */
interface Compiled {
  readonly schema: object;
  readonly validate: Validator;
}

/**
 * Per marshall (one per contract), each parameter's compiled schema, or null for a parameter left
 * to fabric-shim on every call: one whose schema names a component (`$ref`), because
 * fabric-contract-api's deserialiser adds `type: 'object'` to that component on the first call, so
 * fabric-shim's validator of the first call and of later ones can differ. Every parameter of this
 * chaincode's transactions is a string.
 */
const compiled = new WeakMap<DataMarshall, WeakMap<object, Compiled | null>>();

/** Whether a schema names a component anywhere. */
function refersToComponent(schema: object): boolean {
  return JSON.stringify(schema).includes('"$ref"');
}

let installed = false;

/** Replaces `DataMarshall.handleParameters`; called once when the chaincode module loads. */
export function installParameterValidatorCache(): void {
  if (installed) return;
  installed = true;
  const prototype = DataMarshall.prototype;
  const original: DataMarshall['handleParameters'] = Reflect.get(prototype, 'handleParameters');
  prototype.handleParameters = function (this: DataMarshall, fn, parameters, loggerPrefix): unknown[] {
    const expected: ParameterList | undefined = fn.parameters;
    // No metadata, a wrong count or a parameter without a type: the shim's own answer (or error).
    if (
      !expected ||
      expected.length !== parameters.length ||
      expected.some((p) => !p.schema.type && !p.schema.$ref)
    ) {
      return original.call(this, fn, parameters, loggerPrefix);
    }
    let cache = compiled.get(this);
    if (!cache) compiled.set(this, (cache = new WeakMap()));
    const entries = expected.map((parameter) => {
      let entry = cache.get(parameter);
      if (entry === undefined) {
        const schema = { properties: { prop: parameter.schema }, components: { schemas: this.components } };
        entry = refersToComponent(parameter.schema) ? null : { schema, validate: this.ajv.compile(schema) };
        cache.set(parameter, entry);
      }
      return entry;
    });
    if (entries.includes(null)) return original.call(this, fn, parameters, loggerPrefix);
    return (entries as Compiled[]).map((entry, i) => {
      const { value, validateData } = this.fromWireBuffer(parameters[i]!, entry.schema, loggerPrefix);
      if (!entry.validate({ prop: validateData })) {
        const errors = JSON.stringify((entry.validate.errors ?? []).map((err) => err.message));
        throw new Error(`Unable to validate parameter due to ${errors}`);
      }
      return value;
    });
  };
}
