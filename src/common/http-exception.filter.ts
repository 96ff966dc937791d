import { ArgumentsHost, Catch, ExceptionFilter, HttpException } from '@nestjs/common';
import type { Request, Response } from 'express';
import type { Logger } from 'pino';
import { unavailableDependency } from './dependency-errors';
import { AppError, Dependency, ErrorBody, ErrorCode, errors } from './errors';
import { requestIdOf } from './request-id';

/**
 * Nest's own HttpExceptions (unknown route, a bad percent-encoding in a path) carry messages that
 * echo the request; only their status is kept, and the message comes from here.
 */
const NEST_ERRORS: Partial<Record<number, [ErrorCode, string]>> = {
  400: [ErrorCode.VALIDATION_FAILED, 'The request is invalid'],
  401: [ErrorCode.UNAUTHORIZED, 'Missing or invalid Authorization bearer token'],
  404: [ErrorCode.NOT_FOUND, 'Route not found'],
  413: [ErrorCode.PAYLOAD_TOO_LARGE, 'Request body is too large'],
};

/**
 * Every error leaves the API as `{"error": {"code", "message"}}` with a message from the catalogue.
 * Whatever an error itself says (driver messages with hosts and ports, stack text) goes to the log,
 * keyed by the request id the response carries in X-Request-Id.
 */
@Catch()
export class ErrorFilter implements ExceptionFilter {
  constructor(private readonly logger: Logger) {}

  catch(exception: unknown, host: ArgumentsHost) {
    const req = host.switchToHttp().getRequest<Request & { tenant?: { id: string } }>();
    const res = host.switchToHttp().getResponse<Response>();
    const dependency = exception instanceof HttpException || exception instanceof AppError ? null : unavailableDependency(exception);
    const error = this.toAppError(exception, dependency);
    if (error.status >= 500) {
      const uploadId = typeof req.params?.id === 'string' && /^[0-9a-f-]{36}$/i.test(req.params.id) ? req.params.id : undefined;
      this.logger[error.status === 503 ? 'warn' : 'error'](
        {
          err: exception,
          requestId: requestIdOf(res),
          method: req.method,
          route: req.route?.path,
          uploadId,
          tenantId: req.tenant?.id,
          code: error.code,
          dependency: dependency ?? undefined,
        },
        'request failed',
      );
    }
    res.set(error.headers).status(error.status).json(error.toBody() satisfies ErrorBody);
  }

  private toAppError(exception: unknown, dependency: Dependency | null): AppError {
    if (exception instanceof AppError) return exception;
    if (exception instanceof HttpException) {
      const status = exception.getStatus();
      const known = NEST_ERRORS[status];
      if (known) return new AppError(known[0], known[1], status);
      return status >= 500 ? errors.internal() : new AppError(ErrorCode.VALIDATION_FAILED, 'The request is invalid', status);
    }
    return dependency ? errors.dependencyUnavailable(dependency) : errors.internal();
  }
}
