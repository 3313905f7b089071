/**
 * Appends columns held as typed arrays to a table through one reused DuckDB data chunk, copying each
 * column's memory straight into its vector. `DuckDBDataChunk.setColumnValues` boxes every value and, each
 * time the row count changes, wraps every vector anew; under Deno a wrapper's native part is never
 * finalized (measured: ~100 bytes for every value or vector object the binding hands to JS, ~3 KB per
 * typical file), so a service that appends for months must not create them per file.
 */
import duckdb from "@duckdb/node-bindings";
import { type DuckDBAppender, DuckDBDataChunk, type DuckDBType } from "@duckdb/node-api";

/** DuckDB's vector size: the most rows one data chunk holds. */
export const CHUNK_ROWS = 2048;

/** One column's values for a range of rows: a typed array read from `offset`, or one value for every row. */
export type ChunkColumn =
  /** NaN and ±Infinity are stored as NULL. */
  | { double: Float64Array }
  | { integer: Int32Array }
  | { bigint: bigint }
  | { text: string };

/** Copies `rows` values of `values` from `offset` into the start of `vector`. */
function copyRows(
  vector: duckdb.Vector,
  values: Float64Array | Int32Array,
  offset: number,
  rows: number,
): void {
  const size = values.BYTES_PER_ELEMENT;
  duckdb.copy_data_to_vector(
    vector,
    0,
    values.buffer as ArrayBuffer,
    values.byteOffset + offset * size,
    rows * size,
  );
}

/** A DuckDB string of up to 12 bytes is stored inline in its 16-byte slot (`duckdb_string_t`). */
const INLINE_STRING_BYTES = 12;
const encoder = new TextEncoder();

export class ColumnChunk {
  readonly #chunk: DuckDBDataChunk;
  readonly #vectors: duckdb.Vector[];
  readonly #scratch = new ArrayBuffer(CHUNK_ROWS * 16);
  readonly #mask = new BigUint64Array(CHUNK_ROWS / 64);

  constructor(types: readonly DuckDBType[]) {
    this.#chunk = DuckDBDataChunk.create(types);
    // Fetched once: a vector handle stays valid across resets of its chunk.
    this.#vectors = types.map((_, i) => duckdb.data_chunk_get_vector(this.#chunk.chunk, i));
  }

  /** Appends rows `offset` to `offset + rows - 1` of `columns` (in the table's column order). */
  append(appender: DuckDBAppender, columns: readonly ChunkColumn[], offset: number, rows: number): void {
    if (rows > CHUNK_ROWS) throw new RangeError(`a data chunk holds at most ${CHUNK_ROWS} rows, not ${rows}`);
    // A reset empties the vectors' string heaps, which would otherwise grow with every chunk.
    duckdb.data_chunk_reset(this.#chunk.chunk);
    duckdb.data_chunk_set_size(this.#chunk.chunk, rows);
    columns.forEach((column, c) => this.#write(this.#vectors[c], column, offset, rows));
    appender.appendDataChunk(this.#chunk);
  }

  #write(vector: duckdb.Vector, column: ChunkColumn, offset: number, rows: number): void {
    if ("double" in column) {
      copyRows(vector, column.double, offset, rows);
      this.#writeValidity(vector, column.double, offset, rows);
    } else if ("integer" in column) {
      copyRows(vector, column.integer, offset, rows);
    } else if ("bigint" in column) {
      new BigInt64Array(this.#scratch, 0, rows).fill(column.bigint);
      duckdb.copy_data_to_vector(vector, 0, this.#scratch, 0, rows * 8);
    } else {
      this.#writeText(vector, column.text, rows);
    }
  }

  /** Clears the validity bit of every non-finite value; a reset chunk starts with every row valid. */
  #writeValidity(vector: duckdb.Vector, values: Float64Array, offset: number, rows: number): void {
    let first = -1;
    for (let i = 0; i < rows; i++) {
      const v = values[offset + i];
      if (v - v !== 0) {
        first = i;
        break;
      }
    }
    if (first < 0) return;
    const mask = this.#mask;
    mask.fill(0xffff_ffff_ffff_ffffn);
    for (let i = first; i < rows; i++) {
      const v = values[offset + i];
      if (v - v !== 0) mask[i >> 6] &= ~(1n << BigInt(i & 63));
    }
    duckdb.vector_ensure_validity_writable(vector);
    duckdb.copy_data_to_vector_validity(vector, 0, mask.buffer, 0, Math.ceil(rows / 64) * 8);
  }

  /** The same text in every row: short text is written inline as its 16-byte string slots. */
  #writeText(vector: duckdb.Vector, text: string, rows: number): void {
    const bytes = encoder.encode(text);
    if (bytes.length > INLINE_STRING_BYTES) {
      for (let i = 0; i < rows; i++) duckdb.vector_assign_string_element_len(vector, i, bytes);
      return;
    }
    const slots = new Uint8Array(this.#scratch, 0, rows * 16);
    const slot = new Uint8Array(16);
    new DataView(slot.buffer).setUint32(0, bytes.length, true);
    slot.set(bytes, 4);
    for (let i = 0; i < rows; i++) slots.set(slot, i * 16);
    duckdb.copy_data_to_vector(vector, 0, this.#scratch, 0, rows * 16);
  }
}
