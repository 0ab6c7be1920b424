import type { CodegenConfig } from "@graphql-codegen/cli";
import type { Types } from "@graphql-codegen/plugin-helpers";
import { addTypenameToDocument } from "@apollo/client/utilities";

// Types and typed documents from the API's schema file (kept in the repository by
// `make schema`), and the persisted documents a partner's operations are registered from.
const apolloTypenames: Types.DocumentTransformObject = {
  transform: ({ documents }) =>
    documents.map((source) =>
      source.document ? { ...source, document: addTypenameToDocument(source.document) } : source),
};

const config: CodegenConfig = {
  schema: "../../schema.graphql",
  documents: ["src/**/*.graphql"],
  ignoreNoDocuments: false,
  emitLegacyCommonJSImports: false,  // ".js" in relative imports, as ES modules need
  generates: {
    "./src/gql/": {
      preset: "client",
      presetConfig: {
        fragmentMasking: false,
        // Each document carries its hash (`__meta__.hash`, SHA-1 by default): the id the
        // persisted-queries link sends and `persisted-documents.json` registers.
        persistedDocuments: true,
      },
      // The documents as Apollo Client sends them: __typename added to every selection
      // below the root, by Apollo's own transform (Apollo's manifest generator uses it too).
      documentTransforms: [apolloTypenames],
      config: { enumsAsTypes: true, useTypeImports: true },
    },
  },
};

export default config;
