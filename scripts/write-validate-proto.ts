/**
 * Prints `buf/validate/validate.proto` from the descriptor embedded in the
 * `@bufbuild/protovalidate` npm package, so `buf` can compile our protovalidate
 * annotations without fetching the BSR module. The printed file keeps every
 * message, field number, enum and extension (what the wire format needs) and
 * omits the rule options on validate.proto's own fields, which only the
 * runtime's copy uses.
 *
 * Usage: tsx scripts/write-validate-proto.ts [outFile]
 */
import { mkdirSync, writeFileSync } from "node:fs";
import { dirname } from "node:path";
import { isFieldSet } from "@bufbuild/protobuf";
import {
  type DescriptorProto,
  type EnumDescriptorProto,
  type FieldDescriptorProto,
  FieldDescriptorProtoSchema,
  FieldOptionsSchema,
} from "@bufbuild/protobuf/wkt";
import { file_buf_validate_validate } from "@bufbuild/protovalidate/gen/buf/validate/validate_pb.js";

const scalarNames: Record<number, string> = {
  1: "double", 2: "float", 3: "int64", 4: "uint64", 5: "int32", 6: "fixed64",
  7: "fixed32", 8: "bool", 9: "string", 12: "bytes", 13: "uint32",
  15: "sfixed32", 16: "sfixed64", 17: "sint32", 18: "sint64",
};
const MAX_FIELD_NUMBER = 536870911;

/** The oneof a field belongs to, if any (proto2 fields report 0 when unset). */
function oneofOf(field: FieldDescriptorProto): number | undefined {
  if (!isFieldSet(field, FieldDescriptorProtoSchema.field.oneofIndex) || field.proto3Optional) return undefined;
  return field.oneofIndex;
}

function typeOf(field: FieldDescriptorProto): string {
  return field.typeName ? field.typeName : scalarNames[field.type];
}

function printField(field: FieldDescriptorProto, inOneof: boolean, indent: string): string {
  const label = inOneof ? "" : field.label === 3 ? "repeated " : field.label === 2 ? "required " : "optional ";
  const opts: string[] = [];
  if (isFieldSet(field, FieldDescriptorProtoSchema.field.defaultValue)) {
    const quoted = field.type === 9 || field.type === 12;
    opts.push(`default = ${quoted ? JSON.stringify(field.defaultValue) : field.defaultValue}`);
  }
  if (field.options && isFieldSet(field.options, FieldOptionsSchema.field.packed)) opts.push(`packed = ${field.options.packed}`);
  const suffix = opts.length ? ` [${opts.join(", ")}]` : "";
  return `${indent}${label}${typeOf(field)} ${field.name} = ${field.number}${suffix};\n`;
}

function printEnum(e: EnumDescriptorProto, indent: string): string {
  let out = `${indent}enum ${e.name} {\n`;
  for (const v of e.value) out += `${indent}  ${v.name} = ${v.number};\n`;
  return out + `${indent}}\n`;
}

function printMessage(m: DescriptorProto, indent: string): string {
  let out = `${indent}message ${m.name} {\n`;
  const inner = indent + "  ";
  for (const e of m.enumType) out += printEnum(e, inner);
  for (const n of m.nestedType) {
    if (n.options?.mapEntry) continue;
    out += printMessage(n, inner);
  }
  const oneofFields = new Map<number, FieldDescriptorProto[]>();
  for (const f of m.field) {
    const index = oneofOf(f);
    if (index !== undefined) oneofFields.set(index, [...(oneofFields.get(index) ?? []), f]);
  }
  const printedOneofs = new Set<number>();
  for (const f of m.field) {
    const index = oneofOf(f);
    if (index !== undefined) {
      if (printedOneofs.has(index)) continue;
      printedOneofs.add(index);
      out += `${inner}oneof ${m.oneofDecl[index].name} {\n`;
      for (const of of oneofFields.get(index) ?? []) out += printField(of, true, inner + "  ");
      out += `${inner}}\n`;
    } else {
      out += printField(f, false, inner);
    }
  }
  for (const r of m.extensionRange) {
    const end = r.end - 1 >= MAX_FIELD_NUMBER ? "max" : String(r.end - 1);
    out += `${inner}extensions ${r.start} to ${end};\n`;
  }
  for (const r of m.reservedRange) out += `${inner}reserved ${r.start} to ${r.end - 1};\n`;
  return out + `${indent}}\n`;
}

const file = file_buf_validate_validate.proto;
let text = `// Printed by scripts/write-validate-proto.ts from the descriptor embedded in
// @bufbuild/protovalidate. Do not edit; run \`npm run generate\`.
syntax = "proto2";

package ${file.package};

`;
for (const dep of file.dependency) text += `import "${dep}";\n`;
text += "\n";
for (const e of file.enumType) text += printEnum(e, "") + "\n";
for (const m of file.messageType) text += printMessage(m, "") + "\n";
for (const ext of file.extension) {
  text += `extend ${ext.extendee} {\n  optional ${typeOf(ext)} ${ext.name} = ${ext.number};\n}\n\n`;
}

const outFile = process.argv[2] ?? "third_party/buf/validate/validate.proto";
mkdirSync(dirname(outFile), { recursive: true });
writeFileSync(outFile, text);
