// openapi_check.js DOCUMENT ROUTES VALIDATOR_DIR: validates the OpenAPI document with
// @apidevtools/swagger-parser (installed by tools/setup.sh into VALIDATOR_DIR), then checks that
// its operations are exactly the gateway's routes (ROUTES: "VERB /path" lines, gateway_routes)
// plus webhookd's extensions, which must carry x-webhookd-extension. Exits 1 naming each mismatch.
'use strict';
const fs = require('fs');
const path = require('path');

const [documentPath, routesPath, validatorDir] = process.argv.slice(2);
let SwaggerParser;
try {
  SwaggerParser = require(path.join(validatorDir, 'node_modules/@apidevtools/swagger-parser'));
} catch (e) {
  console.error(`FAIL: @apidevtools/swagger-parser is not installed in ${validatorDir}: ` +
                `run tools/setup.sh (${e.message})`);
  process.exit(1);
}

// Served outside the gateway (grpc_service/webhook_server.cc), so not in ROUTES.
const kExtensionsOutsideGateway = [
  'GET /api/rest/2.0/webhooks/openapi.json',
  'GET /metrics',
];
const kVerbs = ['get', 'put', 'post', 'delete', 'patch', 'head', 'options', 'trace'];

async function main() {
  const text = fs.readFileSync(documentPath, 'utf8');
  const document = JSON.parse(text);
  const failures = [];
  if (!/^3\.0\.\d+$/.test(document.openapi)) {
    failures.push(`"openapi" is ${JSON.stringify(document.openapi)}, not 3.0.x`);
  }
  try {
    // validate() dereferences in place: give it a copy.
    await SwaggerParser.validate(JSON.parse(text));
  } catch (e) {
    failures.push(`swagger-parser: ${e.message}`);
  }

  const gatewayRoutes = fs.readFileSync(routesPath, 'utf8').split('\n').filter((l) => l !== '');
  const documented = new Map();  // "VERB /path" -> operation.
  for (const [route, item] of Object.entries(document.paths || {})) {
    for (const verb of kVerbs) {
      if (item[verb]) documented.set(`${verb.toUpperCase()} ${route}`, item[verb]);
    }
  }
  if (gatewayRoutes.length === 0) failures.push(`no gateway routes in ${routesPath}`);
  for (const route of gatewayRoutes) {
    if (!documented.has(route)) failures.push(`gateway route ${route} is not in the document`);
  }
  for (const route of kExtensionsOutsideGateway) {
    if (!documented.has(route)) {
      failures.push(`extension ${route} is not in the document`);
    } else if (documented.get(route)['x-webhookd-extension'] !== true) {
      failures.push(`extension ${route} lacks x-webhookd-extension: true`);
    }
  }
  for (const route of documented.keys()) {
    if (!gatewayRoutes.includes(route) && !kExtensionsOutsideGateway.includes(route)) {
      failures.push(`documented ${route} is not a route of the gateway`);
    }
  }
  for (const [route, operation] of documented) {
    if (route.startsWith('GET /metrics') || route.includes('openapi.json')) continue;
    for (const code of ['400', '401', '403', '404', '429', '500']) {
      if (!operation.responses[code]) failures.push(`${route} does not document ${code}`);
    }
  }
  if (failures.length > 0) {
    for (const failure of failures) console.error(`FAIL: ${failure}`);
    process.exit(1);
  }
  console.log(`OK: ${documentPath} is valid OpenAPI ${document.openapi}; ` +
              `${gatewayRoutes.length} gateway routes and ` +
              `${kExtensionsOutsideGateway.length} extensions, no other operation`);
}

main().catch((e) => {
  console.error(`FAIL: ${e.stack}`);
  process.exit(1);
});
