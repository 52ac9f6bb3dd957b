import * as z from '../validation/zod';

// `.openapi()` is used below at module load.

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

/** A JSON response of `schema`, as an OpenAPI response. */
export const jsonResponse = (schema: z.ZodType, description: string) => ({
  description,
  content: { 'application/json': { schema } },
});

/** The errors every authenticated JSON operation can answer: a bad request, and no valid API key. */
export const requestAndKeyErrors = {
  400: errorResponse('The request is not valid.'),
  401: errorResponse('No valid API key was presented.'),
};
