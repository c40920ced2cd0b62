import { describe, expect, it } from 'vitest';
import { components } from '../../../../src/components/registry.js';
import { vectorsComponent } from '../../../../src/components/vectors/vectors-component.js';
import { notCarriedBack } from '../../../../src/engine/cutover.js';

// The warning printed before a vectors cutover must describe the reverse pass this version really runs
// (src/components/vectors/vectors-passes.ts): it carries points written or changed in DynamoDB back to Qdrant, and
// refuses (and reports) deletions, points whose Qdrant copy holds vectors DynamoDB lacks, and items
// Qdrant cannot take.
describe('notCarriedBack(vectors)', () => {
  const lines = notCarriedBack(components, 'vectors');
  const text = lines.join('\n');

  it('does not claim there is no DynamoDB -> Qdrant pass, since one is registered', () => {
    expect(vectorsComponent.passes?.reverse).toBeTypeOf('function');
    expect(text).not.toMatch(/no DynamoDB -> Qdrant pass/);
    expect(text).not.toMatch(/points written to DynamoDB after cutover/);
  });

  it('names what the reverse pass leaves behind', () => {
    expect(text).toMatch(/deleted from DynamoDB after cutover/);
    expect(text).toMatch(/kept in Qdrant/);
    expect(text).toMatch(/named or sparse vectors/);
    expect(text).toMatch(/point_id/);
    expect(text).toMatch(/2\^53/);
    expect(text).toMatch(/source\.qdrant\.apiKey/);
  });
});
