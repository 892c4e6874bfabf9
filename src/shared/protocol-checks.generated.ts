// Generated from shared/protocol-params.ts by `npm run schema` (config/protocol-checks-text.ts). Do not edit.
import type { ParamSchema } from './param-check.js';

export const METHOD_NAMES = ["hello","identify","status","start","stop","restart","run","kill","logs","history","plan","reload","subscribe","unsubscribe","scale","notify-test","shutdown","audit"] as const;

export const PARAM_SCHEMAS: Record<(typeof METHOD_NAMES)[number], ParamSchema> = {
  "hello": {
    "type": "object",
    "properties": {
      "client": {
        "type": "string",
        "maxLength": 200
      }
    },
    "additionalProperties": false
  },
  "identify": {
    "type": "object",
    "properties": {
      "operator": {
        "type": "string",
        "minLength": 1,
        "maxLength": 200
      },
      "from": {
        "type": "string",
        "maxLength": 200
      }
    },
    "required": [
      "operator"
    ],
    "additionalProperties": false
  },
  "status": {
    "type": "object",
    "properties": {
      "target": {
        "type": "string",
        "minLength": 1,
        "maxLength": 200
      },
      "allHosts": {
        "type": "boolean"
      }
    },
    "additionalProperties": false
  },
  "start": {
    "type": "object",
    "properties": {
      "target": {
        "type": "string",
        "minLength": 1,
        "maxLength": 200
      },
      "wait": {
        "type": "boolean"
      }
    },
    "required": [
      "target"
    ],
    "additionalProperties": false
  },
  "stop": {
    "type": "object",
    "properties": {
      "target": {
        "type": "string",
        "minLength": 1,
        "maxLength": 200
      }
    },
    "required": [
      "target"
    ],
    "additionalProperties": false
  },
  "restart": {
    "type": "object",
    "properties": {
      "target": {
        "type": "string",
        "minLength": 1,
        "maxLength": 200
      },
      "wait": {
        "type": "boolean"
      },
      "rolling": {
        "type": "boolean"
      },
      "stepTimeout": {
        "type": "integer",
        "minimum": 100,
        "maximum": 86400000
      }
    },
    "required": [
      "target"
    ],
    "additionalProperties": false
  },
  "run": {
    "type": "object",
    "properties": {
      "task": {
        "type": "string",
        "minLength": 1,
        "maxLength": 200
      }
    },
    "required": [
      "task"
    ],
    "additionalProperties": false
  },
  "kill": {
    "type": "object",
    "properties": {
      "task": {
        "type": "string",
        "minLength": 1,
        "maxLength": 200
      },
      "signal": {
        "type": "string",
        "maxLength": 20
      }
    },
    "required": [
      "task"
    ],
    "additionalProperties": false
  },
  "logs": {
    "type": "object",
    "properties": {
      "task": {
        "type": "string",
        "minLength": 1,
        "maxLength": 200
      },
      "lines": {
        "type": "integer",
        "minimum": 0,
        "maximum": 100000
      },
      "instance": {
        "type": "integer",
        "minimum": 0,
        "maximum": 9007199254740991
      },
      "run": {
        "type": "string",
        "maxLength": 100
      },
      "since": {
        "type": "number"
      },
      "follow": {
        "type": "boolean"
      }
    },
    "required": [
      "task"
    ],
    "additionalProperties": false
  },
  "history": {
    "type": "object",
    "properties": {
      "task": {
        "type": "string",
        "minLength": 1,
        "maxLength": 200
      },
      "limit": {
        "type": "integer",
        "minimum": 1,
        "maximum": 10000
      }
    },
    "required": [
      "task"
    ],
    "additionalProperties": false
  },
  "plan": {
    "type": "object",
    "properties": {
      "dir": {
        "type": "string",
        "minLength": 1,
        "maxLength": 4096
      },
      "rev": {
        "type": "string",
        "minLength": 1,
        "maxLength": 256
      }
    },
    "additionalProperties": false
  },
  "reload": {
    "type": "object",
    "properties": {},
    "additionalProperties": false
  },
  "subscribe": {
    "type": "object",
    "properties": {
      "events": {
        "minItems": 1,
        "type": "array",
        "items": {
          "type": "string",
          "enum": [
            "state",
            "event"
          ]
        }
      },
      "recent": {
        "type": "integer",
        "minimum": 0,
        "maximum": 200
      }
    },
    "required": [
      "events"
    ],
    "additionalProperties": false
  },
  "unsubscribe": {
    "type": "object",
    "properties": {
      "subscription": {
        "type": "integer",
        "minimum": -9007199254740991,
        "maximum": 9007199254740991
      }
    },
    "required": [
      "subscription"
    ],
    "additionalProperties": false
  },
  "scale": {
    "type": "object",
    "properties": {
      "task": {
        "type": "string",
        "minLength": 1,
        "maxLength": 200
      },
      "count": {
        "anyOf": [
          {
            "type": "integer",
            "minimum": 0,
            "maximum": 1000
          },
          {
            "type": "string",
            "const": "auto"
          }
        ]
      }
    },
    "required": [
      "task",
      "count"
    ],
    "additionalProperties": false
  },
  "notify-test": {
    "type": "object",
    "properties": {
      "notifier": {
        "type": "string",
        "minLength": 1,
        "maxLength": 200
      }
    },
    "required": [
      "notifier"
    ],
    "additionalProperties": false
  },
  "shutdown": {
    "type": "object",
    "properties": {
      "now": {
        "type": "boolean"
      }
    },
    "additionalProperties": false
  },
  "audit": {
    "type": "object",
    "properties": {
      "limit": {
        "type": "integer",
        "minimum": 1,
        "maximum": 100000
      }
    },
    "additionalProperties": false
  }
};
