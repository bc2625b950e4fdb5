import { Controller, Get } from '@nestjs/common';
import { ApiBearerAuth, ApiOkResponse, ApiTags, ApiUnauthorizedResponse } from '@nestjs/swagger';
import { ROLES } from '../config/config.js';
import type { Identity } from './identity.js';
import { Caller } from './identity.js';

@ApiTags('people')
@ApiBearerAuth()
@Controller('whoami')
export class WhoamiController {
  /** Who the request acts as: from its API key or JWT; `anonymous` and `admin` while authentication is off. */
  @Get()
  @ApiOkResponse({
    description: 'The caller: user, role and groups',
    schema: {
      type: 'object',
      required: ['user', 'role', 'groups'],
      properties: {
        user: { type: 'string', example: 'ursula' },
        role: { type: 'string', enum: [...ROLES] },
        groups: { type: 'array', items: { type: 'string' }, example: ['finance'] },
      },
    },
  })
  @ApiUnauthorizedResponse({ description: 'No valid API key or JWT (while authentication is on)' })
  whoami(@Caller() caller: Identity): Identity {
    return { user: caller.user, role: caller.role, groups: caller.groups };
  }
}
