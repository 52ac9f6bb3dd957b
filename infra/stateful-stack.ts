import { type CfnResource, RemovalPolicy, Stack, type StackProps, Validations } from 'aws-cdk-lib';
import { AttributeType, Billing, ProjectionType, StreamViewType, TableV2 } from 'aws-cdk-lib/aws-dynamodb';
import { type ISecret, Secret } from 'aws-cdk-lib/aws-secretsmanager';
import type { Construct } from 'constructs';
import { table as dataModel } from '../shared/data-model';
import { ACTIVE_KEY_FIELD } from '../shared/signing-keyring';

/**
 * Everything whose loss would lose data or break mail already sent: the table and the two secrets.
 * Deployed apart from the functions so that redeploying, refactoring or even deleting the stateless stack
 * can never replace them. Logical IDs are pinned (a test checks them): renaming a construct must not turn
 * into "create new, delete old" for a table or a generated secret.
 */

/** The key id the first generated signing key is stored under (and tokens are signed with). */
export const INITIAL_SIGNING_KEY_ID = 'k1';

/**
 * JSON fields of the two secrets (docs/deploy.md#secrets).
 *
 * - token signing keys: `{ "activeKeyId": "k1", "k1": "<base64, ≥ 32 bytes>" }`; rotation adds `"k2"` and
 *   moves `activeKeyId`, keeping old keys so links in mail already sent keep working.
 * - email hash secret: `{ "emailHashSecret": "<base64, ≥ 32 bytes>" }`; never rotates, because erased
 *   addresses survive only as hashes keyed with it on the suppression list.
 */
export const secretFields = {
  activeKeyId: ACTIVE_KEY_FIELD,
  emailHashSecret: 'emailHashSecret',
} as const;

export interface ConsentMailSecrets {
  /** HMAC keys of the tokens in every link we send; rotates by adding keys. */
  tokenSigningKeys: ISecret;
  /** Keys the hash that stands for an address in lookups and suppressions; never rotates. */
  emailHash: ISecret;
  /** Material of the Ed25519 keys that sign consent receipts (shared/receipts/receipt-keys.ts). */
  receiptSigningKeys: ISecret;
}

/**
 * 64 characters of letters and digits: every one is in the base64 alphabet and 64 is a multiple of 4, so
 * the value is valid base64 decoding to 48 bytes (≈ 380 bits of entropy), which `loadConfig` requires to
 * be at least 32 bytes. Punctuation is excluded because `+`/`/` would need no special care but `"`, `\`
 * or `,` would break the JSON or the `keyId:secret,…` list.
 */
const generatedKey = { passwordLength: 64, excludePunctuation: true, includeSpace: false } as const;

export class StatefulStack extends Stack {
  readonly table: TableV2;
  readonly secrets: ConsentMailSecrets;

  constructor(scope: Construct, id: string, props: StackProps = {}) {
    super(scope, id, { terminationProtection: true, ...props });
    this.table = this.consentTable();
    this.secrets = this.consentSecrets();
  }

  private consentTable(): TableV2 {
    const stringKey = (name: string) => ({ name, type: AttributeType.STRING });
    const table = new TableV2(this, 'Table', {
      partitionKey: stringKey(dataModel.partitionKey),
      sortKey: stringKey(dataModel.sortKey),
      globalSecondaryIndexes: Object.entries(dataModel.indexes).map(([indexName, index]) => ({
        indexName,
        partitionKey: stringKey(index.partitionKey),
        sortKey: stringKey(index.sortKey),
        // As the model says, like the local and test tables (tableDefinition): ALL where a query answers
        // from the index, KEYS_ONLY where it only needs the item's key (gsi3). CloudFormation adds or
        // removes one index per deploy: a change of indexes is one index at a time (docs/deploy.md).
        projectionType: ProjectionType[index.projection],
      })),
      timeToLiveAttribute: dataModel.timeToLiveAttribute,
      dynamoStream: StreamViewType[dataModel.streamView],
      billing: Billing.onDemand(),
      pointInTimeRecoverySpecification: { pointInTimeRecoveryEnabled: true },
      deletionProtection: true,
      removalPolicy: RemovalPolicy.RETAIN,
    });
    pinLogicalId(table, 'ConsentMailTable');
    return table;
  }

  /** A secret of key ids and keys, generated with its first key under INITIAL_SIGNING_KEY_ID. */
  private keyringSecret(id: string, description: string, rotation: string): Secret {
    const secret = new Secret(this, id, {
      description,
      generateSecretString: {
        ...generatedKey,
        secretStringTemplate: JSON.stringify({ [secretFields.activeKeyId]: INITIAL_SIGNING_KEY_ID }),
        generateStringKey: INITIAL_SIGNING_KEY_ID,
      },
      removalPolicy: RemovalPolicy.RETAIN,
    });
    pinLogicalId(secret, `ConsentMail${id}`);
    Validations.of(secret).acknowledge({ id: 'AwsSolutions-SMG4', reason: rotation });
    return secret;
  }

  private consentSecrets(): ConsentMailSecrets {
    const tokenSigningKeys = this.keyringSecret(
      'TokenSigningKeys',
      'consent-mail: HMAC keys for link tokens ({"activeKeyId": id, "<id>": base64 key, ...})',
      'Signing keys rotate by adding a key id and moving activeKeyId while old ids keep verifying links ' +
        'already mailed; Secrets Manager single-value rotation would break those links. Rotation is an ' +
        'operator procedure (docs/deploy.md#rotating-the-signing-keys): functions re-read the secret every ' +
        'few minutes, so it needs no deploy.',
    );
    // Consent receipts are signed with keys of their own: a receipt is proof for others to check, kept
    // apart from the link keys so that rotating one never touches the other (docs/consent.md).
    const receiptSigningKeys = this.keyringSecret(
      'ReceiptSigningKeys',
      'consent-mail: consent-receipt key material ({"activeKeyId": id, "<id>": base64 material, ...}); ' +
        'never delete a key: its public half verifies the receipts it signed',
      'Receipt keys rotate like the link keys, by adding a key id and moving activeKeyId; every old key ' +
        'stays so that its public half keeps verifying the receipts it signed. Single-value rotation would ' +
        'make those receipts unverifiable.',
    );

    // A secret of its own rather than a field of the one above: CloudFormation generates exactly one random
    // value per secret, and this one must never change while signing keys rotate.
    const emailHash = new Secret(this, 'EmailHashSecret', {
      description: 'consent-mail: key of the address hashes ({"emailHashSecret": base64}); never rotate',
      generateSecretString: {
        ...generatedKey,
        secretStringTemplate: JSON.stringify({}),
        generateStringKey: secretFields.emailHashSecret,
      },
      removalPolicy: RemovalPolicy.RETAIN,
    });
    pinLogicalId(emailHash, 'ConsentMailEmailHashSecret');
    Validations.of(emailHash).acknowledge({
      id: 'AwsSolutions-SMG4',
      reason:
        'Must never rotate: erased addresses survive only as hashes keyed with it on the suppression list, ' +
        'so a new key would let an erased or complained address be mailed again.',
    });
    return { tokenSigningKeys, emailHash, receiptSigningKeys };
  }
}

function pinLogicalId(construct: Construct, logicalId: string) {
  (construct.node.defaultChild as CfnResource).overrideLogicalId(logicalId);
}
