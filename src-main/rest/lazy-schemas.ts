// Route validators (ajv) and serializers (fast-json-stringify) compiled at a route's first use, not when
// the app starts. Fastify compiles every route's schemas while it gets ready, which was 0.42–0.50 CPU s of
// the host's start (docs/BENCHMARKS.md), and has no option to defer it. Its `schemaController` takes the
// compiler factories, so these wrap fastify's own (@fastify/ajv-compiler, @fastify/fast-json-stringify-
// compiler, with the options fastify gives them): each route gets a function that compiles on its first
// call. The factories themselves (and ajv) load at the first compile.
//
// A schema that does not compile would then fail at a user's first request instead of at start-up, so
// compileAll() compiles every deferred one now and names the routes that fail; the unit test
// test/unit/rest/schemas-compile.test.ts runs it over the whole app.
import { createRequire } from 'node:module';

/** What fastify passes a validator/serializer compiler for one schema of one route. */
interface RouteSchemaDef {
  schema: unknown;
  method: string;
  url: string;
  httpPart?: string;
  httpStatus?: string;
  contentType?: string;
}
type Validate = ((data: unknown) => unknown) & { errors?: unknown };
type Serialize = (data: unknown) => string;
type CompilerFactory<F> = (externalSchemas: unknown, options: unknown) => (def: RouteSchemaDef) => F;

const fastifyRequire = createRequire(createRequire(import.meta.url).resolve('fastify'));

/** Fastify's default factories, loaded when the first schema is compiled. */
function defaultFactories(): { validator: CompilerFactory<Validate>; serializer: CompilerFactory<Serialize> } {
  const ajvCompiler = fastifyRequire('@fastify/ajv-compiler') as () => CompilerFactory<Validate>;
  const serializerSelector = fastifyRequire('@fastify/fast-json-stringify-compiler') as { SerializerSelector: () => CompilerFactory<Serialize> };
  return { validator: ajvCompiler(), serializer: serializerSelector.SerializerSelector() };
}

export class LazySchemas {
  private factories: ReturnType<typeof defaultFactories> | undefined;
  private readonly deferred: Array<{ what: string; compile: () => unknown }> = [];

  /** Fastify's `schemaController` option. */
  readonly controller = {
    compilersFactory: {
      buildValidator: (externalSchemas: unknown, options: unknown) => {
        let compiler: ((def: RouteSchemaDef) => Validate) | undefined;
        const get = (): ((def: RouteSchemaDef) => Validate) => (compiler ??= this.load().validator(externalSchemas, options));
        return (def: RouteSchemaDef): Validate => this.lazyValidator(def, () => get()(def));
      },
      buildSerializer: (externalSchemas: unknown, options: unknown) => {
        let compiler: ((def: RouteSchemaDef) => Serialize) | undefined;
        const get = (): ((def: RouteSchemaDef) => Serialize) => (compiler ??= this.load().serializer(externalSchemas, options));
        return (def: RouteSchemaDef): Serialize => this.lazySerializer(def, () => get()(def));
      },
    },
  };

  /** What fastify asked for so far, one line each: "METHOD url part validator" / "METHOD url status serializer". */
  get schemas(): string[] {
    return this.deferred.map((d) => d.what);
  }

  /** Compiles every deferred schema now; throws one error naming each route whose schema does not compile. */
  compileAll(): number {
    const failures: string[] = [];
    for (const { what, compile } of this.deferred) {
      try {
        compile();
      } catch (error) {
        failures.push(`${what}: ${(error as Error).message}`);
      }
    }
    if (failures.length > 0) throw new Error(`route schemas that do not compile:\n${failures.join('\n')}`);
    return this.deferred.length;
  }

  private load(): ReturnType<typeof defaultFactories> {
    return (this.factories ??= defaultFactories());
  }

  private lazyValidator(def: RouteSchemaDef, build: () => Validate): Validate {
    let compiled: Validate | undefined;
    const compile = (): Validate => (compiled ??= build());
    // Fastify reads a failed validation's errors from the function's `errors`, as ajv leaves them.
    const validate: Validate = (data) => {
      const fn = compile();
      const result = fn(data);
      validate.errors = fn.errors;
      return result;
    };
    this.deferred.push({ what: `${def.method} ${def.url} ${def.httpPart} validator`, compile });
    return validate;
  }

  private lazySerializer(def: RouteSchemaDef, build: () => Serialize): Serialize {
    let compiled: Serialize | undefined;
    const compile = (): Serialize => (compiled ??= build());
    this.deferred.push({ what: `${def.method} ${def.url} ${def.httpStatus} serializer`, compile });
    return (data) => compile()(data);
  }
}
