// Imported for its side effect: it adds `.openapi()` to zod's schemas, used below at module load.
import '@hono/zod-openapi';
import * as z from 'zod';

/** Response schemas shared by every app, registered once in each OpenAPI document. */

export const ErrorResponseSchema = z
  .object({
    error: z.object({
      code: z.string().openapi({ example: 'validation_failed' }),
      message: z.string().openapi({ example: 'The request is not valid; see details.' }),
      details: z
        .array(
          z.object({
            path: z.string().openapi({ example: 'body.email' }),
            message: z.string(),
            code: z.string().optional(),
          }),
        )
        .optional(),
    }),
  })
  .openapi('Error');

export const errorResponse = (description: string) => ({
  description,
  content: { 'application/json': { schema: ErrorResponseSchema } },
});
